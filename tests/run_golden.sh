#!/bin/sh
# Golden diagnostic tests.  Usage: tests/run_golden.sh PLATC   (UPDATE=1 rewrites)
# Each case is tests/check/NAME.plat or a folder tests/check/NAME/ (a multi-file module).
# `NO_COLOR=1 PLATC check <case>` is run from the repo root; its stdout, then its stderr,
# then a line `exit: N` must equal tests/check/NAME.expected byte for byte.
# Then coverage: every code in compiler/diag_codes.def needs a failing case whose .expected
# contains [CODE] and a passing near-miss CODE-*-ok; a case named after a code must show
# that code (or, for -ok, must not); at least 200 cases in all.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_golden.sh PLATC" >&2
  exit 2
fi
PLATC=$1
UPDATE=${UPDATE:-0}
DIR=${GOLDEN_DIR:-tests/check}   # overridable to test this script itself
DEF=${GOLDEN_DEF:-compiler/diag_codes.def}
MIN_CASES=${GOLDEN_MIN_CASES:-200}

pass=0
fail=0
failed() { echo "FAIL $*"; fail=$((fail + 1)); }

if [ ! -x "$PLATC" ]; then
  echo "FAIL golden: expected an executable platc at $PLATC, found none"
  echo "golden: 0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-golden.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# All cases, sorted: NAME<TAB>PATH.
: >"$tmp/cases"
for f in "$DIR"/*.plat; do
  [ -f "$f" ] || continue
  n=${f##*/}
  printf '%s\t%s\n' "${n%.plat}" "$f" >>"$tmp/cases"
done
for d in "$DIR"/*/; do
  [ -d "$d" ] || continue
  d=${d%/}
  printf '%s\t%s\n' "${d##*/}" "$d" >>"$tmp/cases"
done
LC_ALL=C sort -o "$tmp/cases" "$tmp/cases"
ncases=$(wc -l <"$tmp/cases" | tr -d ' ')

# ---- run every case -------------------------------------------------------------------
while IFS='	' read -r name path; do
  exp="$DIR/$name.expected"
  act="$tmp/actual"
  rc=0
  NO_COLOR=1 timeout 60 "$PLATC" check "$path" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
  cat "$tmp/out" "$tmp/err" >"$act"
  printf 'exit: %d\n' "$rc" >>"$act"
  if [ -f "$exp" ] && cmp -s "$exp" "$act"; then
    pass=$((pass + 1))
    continue
  fi
  if [ "$UPDATE" = 1 ]; then
    # Never bless a hang or a sanitizer report as the expected output.
    if [ "$rc" -eq 124 ] || grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$act"; then
      failed "$path: expected a clean run to record, got exit $rc or a sanitizer report; not updated"
      head -n 20 "$act"
      continue
    fi
    if [ -f "$exp" ]; then echo "updated $exp"; else echo "created $exp"; fi
    cp "$act" "$exp"
    pass=$((pass + 1))
    continue
  fi
  if [ ! -f "$exp" ]; then
    failed "$path: expected a file $exp, found none (create it with UPDATE=1 and read it)"
    continue
  fi
  if [ "$rc" -eq 124 ]; then
    failed "$path: expected $(tail -n 1 "$exp"), got a timeout after 60 s"
  else
    failed "$path: expected the output in $exp ($(tail -n 1 "$exp")), got (exit: $rc):"
  fi
  diff -u --label "$exp" --label "actual" "$exp" "$act" | head -n 100 || true
done <"$tmp/cases"

# ---- stale expectations ---------------------------------------------------------------
for e in "$DIR"/*.expected; do
  [ -f "$e" ] || continue
  n=${e##*/}
  n=${n%.expected}
  if [ ! -f "$DIR/$n.plat" ] && [ ! -d "$DIR/$n" ]; then
    failed "$e: expected a case $DIR/$n.plat or $DIR/$n/, found none (stale expectation)"
  fi
done

# ---- coverage of the code table -------------------------------------------------------
sed -n 's/^DIAG(\([EW][0-9][0-9][0-9][0-9]\),.*/\1/p' "$DEF" >"$tmp/codes"
if [ ! -s "$tmp/codes" ]; then
  failed "coverage: expected codes in $DEF, found none"
fi
: >"$tmp/shown"     # codes shown by failing cases
: >"$tmp/okcodes"   # codes that have a -ok case
while IFS='	' read -r name path; do
  exp="$DIR/$name.expected"
  code=$(printf '%s\n' "$name" | sed -n 's/^\([EW][0-9][0-9][0-9][0-9]\)-.*/\1/p')
  if [ -n "$code" ] && ! grep -qx "$code" "$tmp/codes"; then
    failed "$path: expected the name to start with a code from $DEF, got unknown code $code"
    continue
  fi
  case $name in *-ok) [ -z "$code" ] || echo "$code" >>"$tmp/okcodes" ;; esac
  [ -f "$exp" ] || continue
  case $name in
  *-ok)
    [ -n "$code" ] || continue
    if grep -qF "[$code]" "$exp"; then
      failed "$path: expected a passing near-miss without [$code], got [$code] in $exp"
    fi
    ;;
  *)
    grep -o '\[[EW][0-9][0-9][0-9][0-9]\]' "$exp" | tr -d '[]' >>"$tmp/shown" || true
    if [ -n "$code" ] && ! grep -qF "[$code]" "$exp"; then
      got=$(grep -o '\[[EW][0-9]*\]' "$exp" | sort -u | tr '\n' ' ' || true)
      failed "$path: expected [$code] in $exp (the case is named after it), got ${got:-no codes}"
    fi
    ;;
  esac
done <"$tmp/cases"
LC_ALL=C sort -u -o "$tmp/shown" "$tmp/shown"
LC_ALL=C sort -u -o "$tmp/okcodes" "$tmp/okcodes"
while read -r code; do
  grep -qx "$code" "$tmp/shown" ||
    failed "coverage $code: expected a failing case whose .expected contains [$code], found none"
  grep -qx "$code" "$tmp/okcodes" ||
    failed "coverage $code: expected a passing case $DIR/$code-*-ok.plat (or folder), found none"
done <"$tmp/codes"

if [ "$ncases" -lt "$MIN_CASES" ]; then
  failed "coverage: expected at least $MIN_CASES cases in $DIR, found $ncases"
fi

echo "golden: $pass passed, $fail failed ($ncases cases, $(wc -l <"$tmp/codes" | tr -d ' ') codes)"
[ "$fail" -eq 0 ]
