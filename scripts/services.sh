#!/usr/bin/env bash
# Starts the Redis and PostgreSQL servers the test suite needs, unless they already run.
# Exits non-zero when either cannot be reached: the tests must fail, never skip, without them.
set -euo pipefail

REDIS_PORT=6379
PG_PORT=5432

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }

wait_for() {  # wait_for NAME CHECK
  for _ in $(seq 1 60); do
    if "$2"; then return 0; fi
    sleep 0.5
  done
  echo "error: $1 did not become reachable on 127.0.0.1" >&2
  return 1
}

if ! redis_up; then
  command -v redis-server >/dev/null || { echo "error: redis-server is not installed" >&2; exit 1; }
  echo "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
fi
wait_for Redis redis_up

if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || { echo "error: PostgreSQL is not installed" >&2; exit 1; }
  echo "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
wait_for PostgreSQL pg_up

# The suite uses the database `test`; create it on a fresh cluster.
if ! psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres test
fi
echo "Redis and PostgreSQL are reachable"
