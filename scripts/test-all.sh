#!/usr/bin/env bash
# Runs every test: the Python suite (SQLite and a throwaway PostgreSQL) and, at the same time, the
# web checks (package and app type checks, unit tests, Storybook, the pack test, browser e2e).
# Much of the Python suite waits on real-time audio and timeouts rather than the CPU, so the web
# checks fit beside it; run one side alone with `make test-python` or `make test-web test-e2e`.
# The web side's output is kept in a log and printed after the Python suite's, so neither is
# interleaved with the other.
set -uo pipefail
cd "$(dirname "$0")/.."
make="${MAKE:-make}"
log=$(mktemp /tmp/earshot-web-tests.XXXXXX.log)

started=$(date +%s)
( "$make" --no-print-directory test-web test-e2e >"$log" 2>&1 ) &
web_pid=$!

scripts/with-postgres.sh "$make" --no-print-directory test-python
python_status=$?
python_done=$(date +%s)

wait "$web_pid"
web_status=$?
finished=$(date +%s)

echo
echo "================ web checks (ran beside the Python suite) ================"
cat "$log"
rm -f "$log"
echo
echo "Python suite: exit $python_status after $((python_done - started)) s;" \
  "web checks: exit $web_status; all done after $((finished - started)) s"
[ "$python_status" -eq 0 ] && [ "$web_status" -eq 0 ]
