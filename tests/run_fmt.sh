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

# ---- 3. the command: exit statuses, in-place rewriting, --check, --diff, stdin -------------
w="$tmp/cli"
mkdir -p "$w/sub/.hidden"
printf 'let  a=1\n' >"$w/a.plat"
printf 'let b = 2\n' >"$w/sub/b.plat"
printf 'let  h=1\n' >"$w/sub/.hidden/h.plat"
chmod 640 "$w/a.plat"
expect_rc() {   # expect_rc WHAT WANTED ACTUAL
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); else failed "cli $1: expected exit $2, got $3"; fi
}
rc=0; "$PLATC" fmt --check "$w" >"$tmp/c.out" 2>&1 || rc=$?
expect_rc "--check on an unformatted folder" 1 "$rc"
[ "$(cat "$tmp/c.out")" = "$w/a.plat" ] ||
  failed "cli --check: expected it to list exactly $w/a.plat, got: $(cat "$tmp/c.out")"
[ "$(cat "$w/a.plat")" = "let  a=1" ] || failed "cli --check: expected $w/a.plat untouched"
rc=0; "$PLATC" fmt --diff "$w/a.plat" >"$tmp/d.out" 2>&1 || rc=$?
expect_rc "--diff on an unformatted file" 1 "$rc"
if command -v patch >/dev/null 2>&1; then
  cp "$w/a.plat" "$tmp/patched.plat"
  if patch -s "$tmp/patched.plat" <"$tmp/d.out" && [ "$(cat "$tmp/patched.plat")" = "let a = 1" ]; then
    pass=$((pass + 1))
  else
    failed "cli --diff: expected a diff that patch applies, got: $(cat "$tmp/d.out")"
  fi
fi
touch -d '2001-01-01' "$w/sub/b.plat"
rc=0; "$PLATC" fmt "$w" >"$tmp/c.out" 2>&1 || rc=$?
expect_rc "rewriting a folder" 0 "$rc"
[ "$(cat "$w/a.plat")" = "let a = 1" ] || failed "cli: expected $w/a.plat rewritten, got: $(cat "$w/a.plat")"
[ "$(stat -c %a "$w/a.plat")" = 640 ] || failed "cli: expected mode 640 kept, got $(stat -c %a "$w/a.plat")"
[ "$(stat -c %Y "$w/sub/b.plat")" = "$(date -d '2001-01-01' +%s)" ] ||
  failed "cli: expected an already formatted file not to be rewritten (its mtime changed)"
[ "$(cat "$w/sub/.hidden/h.plat")" = "let  h=1" ] || failed "cli: expected hidden folders skipped"
if ls -a "$w" | grep -q 'fmt-'; then failed "cli: expected no temporary file left in $w"; fi
rc=0; "$PLATC" fmt --check "$w" >/dev/null 2>&1 || rc=$?
expect_rc "--check on a formatted folder" 0 "$rc"
printf 'let x =\n' >"$w/bad.plat"
rc=0; "$PLATC" fmt "$w/bad.plat" >/dev/null 2>"$tmp/e.out" || rc=$?
expect_rc "a file with syntax errors" 1 "$rc"
grep -q 'E0100' "$tmp/e.out" || failed "cli: expected the syntax error rendered on stderr, got: $(cat "$tmp/e.out")"
[ "$(cat "$w/bad.plat")" = "let x =" ] || failed "cli: expected a file with syntax errors untouched"
rc=0; out=$(printf 'let  y=[1,\n2]\n' | "$PLATC" fmt - 2>&1) || rc=$?
expect_rc "stdin" 0 "$rc"
[ "$out" = "let y = [1, 2]" ] || failed "cli stdin: expected 'let y = [1, 2]', got: $out"
rc=0; "$PLATC" fmt "$w/missing.plat" >/dev/null 2>&1 || rc=$?
expect_rc "a missing file" 2 "$rc"
rc=0; "$PLATC" fmt --frobnicate >/dev/null 2>&1 || rc=$?
expect_rc "an unknown option" 2 "$rc"

# ---- 4. every ```plat example in docs/fmt.md is in the canonical form it describes --------
if [ -f docs/fmt.md ]; then
  mkdir -p "$tmp/doc"
  awk -v dir="$tmp/doc" '/^```plat$/ { n++; f = sprintf("%s/%02d.plat", dir, n); on = 1; next }
       /^```$/ { on = 0; next }
       on { print > f }' docs/fmt.md
  for f in "$tmp"/doc/*.plat; do
    [ -f "$f" ] || continue
    rc=0
    "$PLATC" fmt - <"$f" >"$tmp/doc.out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ] && cmp -s "$f" "$tmp/doc.out"; then
      pass=$((pass + 1))
    else
      failed "docs/fmt.md example $(basename "$f" .plat): expected it to be canonical, got exit $rc:"
      diff -u --label example --label formatted "$f" "$tmp/doc.out" | head -n 20 || true
    fi
  done
fi

echo "fmt: $pass passed, $fail failed ($formatted files round-tripped, $skipped with syntax errors skipped)"
[ "$fail" -eq 0 ]
