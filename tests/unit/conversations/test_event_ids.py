"""Ids of conversation events: unique, UUID-shaped, and fresh in a forked process."""

from __future__ import annotations

import os
import string

from kefu.conversations.publisher import EventIds


def test_ids_are_unique_32_hex_digits() -> None:
    ids = EventIds()
    drawn = [ids() for _ in range(10_000)]
    assert len(set(drawn)) == len(drawn)
    assert all(len(i) == 32 and set(i) <= set(string.hexdigits) for i in drawn)


def test_two_sources_do_not_share_ids() -> None:
    first, second = EventIds(), EventIds()
    assert {first() for _ in range(100)}.isdisjoint({second() for _ in range(100)})


def test_a_forked_child_draws_ids_of_its_own() -> None:
    ids = EventIds()
    parent = ids()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, ids().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child[:16] != parent[:16]
    assert child != ids()
