"""The ``kefu`` command line: one group, with each family of subcommands in its own module."""

from __future__ import annotations

import click

from kefu import __version__
from kefu.cli.audit import audit
from kefu.cli.eval import eval_group
from kefu.cli.keys import keys
from kefu.cli.ops import backup_command, restore_command
from kefu.cli.pack import pack
from kefu.cli.plugins import plugins
from kefu.cli.serve import demo, serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kefu")
def main() -> None:
    """Kefu: self-hosted customer service with a plugin-driven assistant."""


main.add_command(serve)
main.add_command(demo)
main.add_command(plugins)
main.add_command(pack)
main.add_command(eval_group)
main.add_command(backup_command)
main.add_command(restore_command)
main.add_command(keys)
main.add_command(audit)

__all__ = ["main"]
