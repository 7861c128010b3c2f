#!/bin/sh
# Every example checks clean.  Usage: tests/run_examples.sh PLATC
# For each folder examples/NAME/: `platc check` exits 0 with no diagnostic at all (not even
# a warning), `--format gcc` prints no diagnostic line, and `--format json` reports zero
# diagnostics.  No examples at all is a failure.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_examples.sh PLATC" >&2
  exit 2
fi
PLATC=$1
EXAMPLES=${EXAMPLES_DIR:-examples}   # overridable to test this script itself

pass=0
fail=0
failed() { echo "FAIL $*"; ok=0; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Run `platc check ARGS...`; sets rc, output in $tmp/out (stdout then stderr).
run() {
  rc=0
  NO_COLOR=1 timeout 60 "$PLATC" check "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
  cat "$tmp/err" >>"$tmp/out"
}

# Zero diagnostics in a JSON report: an empty array, or an object whose "diagnostics"
# (or SARIF-like "results") array is empty.  jq when present, else a textual check.
json_empty() {
  if command -v jq >/dev/null 2>&1; then
    jq -e 'if type == "array" then length == 0
           elif type == "object" and has("diagnostics") then (.diagnostics | length) == 0
           else false end' "$1" >/dev/null 2>&1
  else
    t=$(tr -d ' \t\r\n' <"$1")
    [ "$t" = "[]" ] || [ "$t" = '{"diagnostics":[]}' ]
  fi
}

n=0
for d in "$EXAMPLES"/*/; do
  [ -d "$d" ] || continue
  d=${d%/}
  n=$((n + 1))
  ok=1

  run "$d"
  if [ "$rc" -ne 0 ]; then
    failed "$d: expected 'platc check' to exit 0, got $rc:"; head -n 40 "$tmp/out"
  elif grep -qE '^(error|warning|note)(\[[EW][0-9]{4}\])?:|: (error|warning)(\[[EW][0-9]{4}\])?:' "$tmp/out"; then
    failed "$d: expected no diagnostics, got:"; head -n 40 "$tmp/out"
  fi

  run --format gcc "$d"
  if [ "$rc" -ne 0 ] || grep -qE ':[0-9]+:[0-9]+: ' "$tmp/out"; then
    failed "$d: expected 'platc check --format gcc' to exit 0 with no diagnostic line, got exit $rc:"
    head -n 40 "$tmp/out"
  fi

  run --format json "$d"
  if [ "$rc" -ne 0 ]; then
    failed "$d: expected 'platc check --format json' to exit 0, got $rc:"; head -n 40 "$tmp/out"
  elif ! json_empty "$tmp/out"; then
    failed "$d: expected 'platc check --format json' to report zero diagnostics, got:"
    head -c 2000 "$tmp/out"; echo
  fi

  if [ "$ok" -eq 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done

if [ "$n" -eq 0 ]; then
  failed "examples: expected at least one folder under $EXAMPLES/, found none"
  fail=$((fail + 1))
fi

echo "examples: $pass passed, $fail failed ($n examples)"
[ "$fail" -eq 0 ]
