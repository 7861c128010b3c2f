#!/bin/sh
# Formatter tests.  Usage: tests/run_fmt.sh PLATC   (UPDATE=1 rewrites tests/fmt/*.expected)
# 1. Goldens: `PLATC fmt -` on tests/fmt/NAME.plat must print tests/fmt/NAME.expected byte
#    for byte, and formatting NAME.expected must give it back unchanged (it is canonical).
# 2. Round trip over every examples/**/*.plat and tests/check/**/*.plat that has no syntax
#    errors, on a copy of both trees in a temporary folder: formatting twice gives the same
#    bytes, and `PLATC check` reports the same diagnostic codes and exit status on every
#    example and golden case as on the original (line numbers may move).
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_fmt.sh PLATC" >&2
  exit 2
fi
PLATC=$1
UPDATE=${UPDATE:-0}
DIR=${FMT_DIR:-tests/fmt}
TREES=${FMT_TREES:-examples tests/check}

pass=0
fail=0
failed() { echo "FAIL $*"; fail=$((fail + 1)); }

if [ ! -x "$PLATC" ]; then
  echo "FAIL fmt: expected an executable platc at $PLATC, found none"
  echo "fmt: 0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-fmt.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- 1. goldens --------------------------------------------------------------------------
for f in "$DIR"/*.plat; do
  [ -f "$f" ] || continue
  exp=${f%.plat}.expected
  rc=0
  timeout 60 "$PLATC" fmt - <"$f" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" -ne 0 ]; then
    failed "$f: expected it to format (exit 0), got exit $rc:"
    head -n 20 "$tmp/err"
    continue
  fi
  if [ "$UPDATE" = 1 ] && ! { [ -f "$exp" ] && cmp -s "$exp" "$tmp/out"; }; then
    if [ -f "$exp" ]; then echo "updated $exp"; else echo "created $exp"; fi
    cp "$tmp/out" "$exp"
  fi
  if [ ! -f "$exp" ]; then
    failed "$f: expected a file $exp, found none (create it with UPDATE=1 and read it)"
    continue
  fi
  if ! cmp -s "$exp" "$tmp/out"; then
    failed "$f: expected the text of $exp, got:"
    diff -u --label "$exp" --label "formatted" "$exp" "$tmp/out" | head -n 60 || true
    continue
  fi
  rc=0
  timeout 60 "$PLATC" fmt - <"$exp" >"$tmp/again" 2>"$tmp/err" || rc=$?
  if [ "$rc" -ne 0 ] || ! cmp -s "$exp" "$tmp/again"; then
    failed "$exp: expected formatting it to change nothing (it is canonical), got exit $rc:"
    diff -u --label "$exp" --label "formatted again" "$exp" "$tmp/again" | head -n 40 || true
    head -n 10 "$tmp/err"
    continue
  fi
  pass=$((pass + 1))
done
for e in "$DIR"/*.expected; do
  [ -f "$e" ] || continue
  [ -f "${e%.expected}.plat" ] || failed "$e: expected a case ${e%.expected}.plat, found none (stale)"
done

# ---- 2. round trip over the examples and the golden diagnostic cases ----------------------
mkdir -p "$tmp/copy"
for t in $TREES; do
  [ -d "$t" ] || continue
  mkdir -p "$tmp/copy/$t"
  cp -R "$t/." "$tmp/copy/$t/"
done
formatted=0
skipped=0
find $TREES -name '*.plat' -type f 2>/dev/null | LC_ALL=C sort >"$tmp/files"
while read -r f; do
  rc=0
  timeout 60 "$PLATC" fmt - <"$f" >"$tmp/one" 2>"$tmp/err" || rc=$?
  if [ "$rc" -eq 1 ]; then   # syntax errors: never reformatted
    skipped=$((skipped + 1))
    continue
  fi
  if [ "$rc" -ne 0 ]; then
    failed "$f: expected it to format (exit 0) or to have syntax errors (exit 1), got exit $rc:"
    head -n 10 "$tmp/err"
    continue
  fi
  cp "$tmp/one" "$tmp/copy/$f"
  rc=0
  timeout 60 "$PLATC" fmt - <"$tmp/one" >"$tmp/two" 2>"$tmp/err" || rc=$?
  if [ "$rc" -ne 0 ] || ! cmp -s "$tmp/one" "$tmp/two"; then
    failed "$f: expected formatting twice to change nothing, got exit $rc and:"
    diff -u --label "formatted once" --label "formatted twice" "$tmp/one" "$tmp/two" | head -n 40 || true
    head -n 10 "$tmp/err"
    continue
  fi
  formatted=$((formatted + 1))
  pass=$((pass + 1))
done <"$tmp/files"

# The same diagnostics: every example folder and every golden case, file or folder.
codes() {
  rc=0
  (cd "$1" && NO_COLOR=1 timeout 60 "$2" check "$3" >"$tmp/c.out" 2>&1 </dev/null) || rc=$?
  { grep -o '\[[EW][0-9][0-9][0-9][0-9]\]' "$tmp/c.out" || true; } | LC_ALL=C sort | tr '\n' ' '
  echo "exit $rc"
}
case $PLATC in /*) abs=$PLATC ;; *) abs=$(pwd)/$PLATC ;; esac
: >"$tmp/modules"
for t in $TREES; do
  [ -d "$t" ] || continue
  for m in "$t"/*; do
    case $m in *.plat) ;; *) [ -d "$m" ] || continue ;; esac
    echo "$m" >>"$tmp/modules"
  done
done
while read -r m; do
  before=$(codes . "$abs" "$m")
  after=$(codes "$tmp/copy" "$abs" "$m")
  if [ "$before" != "$after" ]; then
    failed "$m: expected platc check to report the same after formatting ($before), got ($after)"
    continue
  fi
  pass=$((pass + 1))
done <"$tmp/modules"

echo "fmt: $pass passed, $fail failed ($formatted files round-tripped, $skipped with syntax errors skipped)"
[ "$fail" -eq 0 ]
