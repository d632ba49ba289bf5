#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server and EARSHOT_TEST_POSTGRES_URL pointing at it.
# Without PostgreSQL installed (and CI unset) the command runs on SQLite alone.
set -euo pipefail

initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$initdb" ]; then
  if [ -n "${CI:-}" ]; then
    echo "CI is set but PostgreSQL is not installed (run scripts/install-system-deps.sh)" >&2
    exit 1
  fi
  echo "PostgreSQL not installed: running on SQLite only" >&2
  exec "$@"
fi
bindir=$(dirname "$initdb")
port=${EARSHOT_TEST_POSTGRES_PORT:-55432}
dir=$(mktemp -d /tmp/earshot-pg.XXXXXX)
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root.
  chown postgres "$dir"
  run_as=(runuser -u postgres --)
fi

cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${run_as[@]}" "$initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null

export EARSHOT_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on port $port for the tests"
"$@"
