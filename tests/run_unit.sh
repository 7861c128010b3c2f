#!/bin/sh
# Run the cmocka unit-test binaries.  Usage: tests/run_unit.sh O BIN...
# Each binary is one tests/unit/test_<module>.c.  A binary fails when it exits non-zero,
# when cmocka reports no test run, or when it is missing; its output is shown on failure.
# Giving no binaries at all is a failure too (a suite that runs nothing proves nothing).
set -eu

if [ $# -lt 1 ]; then
  echo "usage: tests/run_unit.sh O BIN..." >&2
  exit 2
fi
O=$1
shift

pass=0
fail=0
tests=0
tmp=$(mktemp "${TMPDIR:-/tmp}/plat-unit.XXXXXX")
trap 'rm -f "$tmp"' EXIT INT TERM

if [ $# -eq 0 ]; then
  echo "FAIL unit: no test binaries given (expected $O/tests/test_*)"
  fail=1
fi

for bin in "$@"; do
  name=$(basename "$bin")
  if [ ! -x "$bin" ]; then
    echo "FAIL $name: expected an executable at $bin, found none"
    fail=$((fail + 1))
    continue
  fi
  rc=0
  timeout 300 "$bin" >"$tmp" 2>&1 || rc=$?
  # cmocka prints "[  PASSED  ] N test(s)." for the tests that passed.
  n=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$tmp" | tail -n 1)
  n=${n:-0}
  if [ "$rc" -ne 0 ]; then
    cat "$tmp"
    if [ "$rc" -eq 124 ]; then
      echo "FAIL $name: expected exit 0, timed out after 300 s"
    else
      echo "FAIL $name: expected exit 0, got $rc ($(grep -c '^\[  FAILED  \] test' "$tmp" || true) failing tests)"
    fi
    fail=$((fail + 1))
  elif [ "$n" -eq 0 ]; then
    cat "$tmp"
    echo "FAIL $name: expected at least one passing test, cmocka reported none"
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
    tests=$((tests + n))
  fi
done

echo "unit: $pass passed, $fail failed ($tests tests in the passing binaries)"
[ "$fail" -eq 0 ]
