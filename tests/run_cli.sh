#!/bin/sh
# The platc command line as users and CI see it.  Usage: tests/run_cli.sh PLATC
# Exit statuses (0 clean, 1 errors or warnings under --werror, 2 usage or I/O), where each
# output goes, --version, help (listing exactly the commands that exist), usage errors with
# "did you mean", colour (NO_COLOR, --color), every output format (JSON and SARIF parsed by
# jq, else python3), `platc explain` for every code in compiler/diag_codes.def, and the
# examples of docs/diagnostics.md: in each section the first ```plat block must show its
# code and the last must check clean, with no diagnostic at all.  Run from the repository root.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_cli.sh PLATC" >&2
  exit 2
fi
PLATC=$1
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
ROOT=$(pwd)
DEF=$ROOT/compiler/diag_codes.def
DOC=$ROOT/docs/diagnostics.md

pass=0
fail=0
ok() { pass=$((pass + 1)); }
failed() { echo "FAIL $*"; fail=$((fail + 1)); }

if [ ! -x "$PLATC" ]; then
  echo "FAIL cli: expected an executable platc at $PLATC, found none"
  echo "cli: 0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
ESC=$(printf '\033')

# run [ENV=VAL...] -- ARGS: runs platc; sets rc; stdout in $tmp/out, stderr in $tmp/err.
run() {
  envs=""
  while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
  shift
  rc=0
  # shellcheck disable=SC2086
  env -u NO_COLOR $envs timeout 60 "$PLATC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
  # under SAN=1 a sanitizer report is a failure whatever the test expected
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
    failed "platc $*: expected no sanitizer report, got:"; grep -E -A3 'Sanitizer|runtime error:' "$tmp/err" | head -n 8
  fi
  if [ "$rc" -eq 124 ]; then failed "platc $*: timed out after 60 s"; fi
}

# expect_rc WHAT N: the last run exited N.
expect_rc() {
  if [ "$rc" -eq "$2" ]; then ok; else
    failed "$1: expected exit $2, got $rc; stdout:"; head -n 20 "$tmp/out"
    echo "  stderr:"; head -n 20 "$tmp/err"
  fi
}
# expect_grep WHAT FILE PATTERN (extended regex)
expect_grep() {
  if grep -qE -- "$3" "$2"; then ok; else
    failed "$1: expected $(basename "$2") to match /$3/, got:"; head -n 20 "$2"
  fi
}
expect_no_grep() {
  if grep -qE -- "$3" "$2"; then
    failed "$1: expected $(basename "$2") not to match /$3/, got:"; grep -nE -- "$3" "$2" | head -n 5
  else ok; fi
}
expect_empty() {
  if [ -s "$2" ]; then failed "$1: expected $(basename "$2") to be empty, got:"; head -n 20 "$2"; else ok; fi
}

# A JSON validator: jq, else python3, else none (those checks are skipped, said once).
if command -v jq >/dev/null 2>&1; then JSON=jq
elif command -v python3 >/dev/null 2>&1; then JSON=python3
else JSON=none; echo "note: neither jq nor python3 found; JSON syntax checks skipped"; fi
json_valid() {
  case $JSON in
  jq) jq -e . "$1" >/dev/null 2>&1 ;;
  python3) python3 -m json.tool "$1" >/dev/null 2>&1 ;;
  *) return 0 ;;
  esac
}
# json_eq FILE JQ-EXPR PY-EXPR EXPECTED: the value of an expression over the document.
json_eq() {
  case $JSON in
  jq) got=$(jq -r "$2" "$1" 2>&1) ;;
  python3) got=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($3)" "$1" 2>&1) ;;
  *) ok; return ;;
  esac
  if [ "$got" = "$4" ]; then ok; else failed "$1: expected $2 to be $4, got $got"; fi
}

# ---- fixtures ---------------------------------------------------------------------------
mkdir -p "$tmp/w" "$tmp/empty"
cd "$tmp/w"
printf 'output greeting = "hello"\n' >clean.plat
printf '// one syntax error and nothing else\noutput greeting: = "hello"\n' >broken.plat
printf 'let unused = 1\n\noutput answer = 42\n' >warn.plat
printf 'output a = 1;\noutput b = 2;\noutput c = 3;\n' >three.plat
printf 'output greeting = "hello"\n' >"with space.plat"

# ---- check: exit statuses and streams -----------------------------------------------------
run -- check clean.plat
expect_rc "check clean.plat" 0
expect_empty "check clean.plat (stdout)" "$tmp/out"
expect_empty "check clean.plat (stderr)" "$tmp/err"

run -- check broken.plat
expect_rc "check broken.plat" 1
expect_empty "check broken.plat: text goes to stderr, stdout" "$tmp/out"
expect_grep "check broken.plat" "$tmp/err" '^error\[E0100\]: '
expect_grep "check broken.plat: location" "$tmp/err" '^ --> broken\.plat:2:18$'
expect_grep "check broken.plat: caret" "$tmp/err" '^  \|                  \^$'
expect_grep "check broken.plat: summary" "$tmp/err" '^error: check failed: [0-9]+ errors? emitted$'

run -- check clean.plat broken.plat
expect_rc "check clean.plat broken.plat" 1

run -- check warn.plat
expect_rc "check warn.plat (warnings only)" 0
expect_grep "check warn.plat" "$tmp/err" '^warning\[W0001\]: '
expect_grep "check warn.plat: summary" "$tmp/err" '^warning: 1 warning emitted$'

run -- check --werror warn.plat
expect_rc "check --werror warn.plat" 1
expect_grep "check --werror warn.plat: shown as an error" "$tmp/err" '^error\[W0001\]: '
expect_grep "check --werror warn.plat: says why" "$tmp/err" '= note: warnings are errors because of --werror'

run -- check --werror clean.plat
expect_rc "check --werror clean.plat" 0

run -- check nope.plat
expect_rc "check nope.plat (missing path)" 2
expect_grep "check nope.plat" "$tmp/err" "^error\\[E0505\\]: .*nope\\.plat"

run -- check nope.plat broken.plat
expect_rc "check nope.plat broken.plat (I/O wins over errors)" 2

run -- check "$tmp/empty"
expect_rc "check of a folder without .plat files" 1
expect_grep "check of a folder without .plat files" "$tmp/err" '\[E0502\]'

run -- check "with space.plat"
expect_rc "check 'with space.plat'" 0

run -- check --max-errors 2 three.plat
expect_rc "check --max-errors 2 three.plat" 1
expect_grep "check --max-errors 2: the limit is said" "$tmp/err" '^error\[E0105\]: too many errors \(limit is 2\)'
n=$(grep -c '^error\[E0002\]' "$tmp/err" || true)
if [ "$n" -eq 2 ]; then ok; else failed "check --max-errors 2 three.plat: expected 2 E0002 errors shown, got $n"; fi

printf 'let a = 1\nlet b = 2\nlet c = 3\n\noutput answer = 42\n' >unused3.plat
run -- check --werror --max-errors 2 unused3.plat
expect_rc "check --werror --max-errors 2 unused3.plat" 1
n=$(grep -c '^error\[W0001\]' "$tmp/err" || true)
if [ "$n" -eq 2 ]; then ok; else failed "check --werror --max-errors 2: expected the promoted warnings to count, 2 shown, got $n"; fi
expect_grep "check --werror --max-errors 2: the limit is said" "$tmp/err" '^error\[E0105\]: too many errors \(limit is 2\)'

mkdir -p overlap
printf 'output greeting = gretting\n' >overlap/main.plat
run -- check overlap overlap/main.plat
expect_rc "check overlap overlap/main.plat (one file in two root modules)" 1
n=$(grep -c '^error\[E0200\]' "$tmp/err" || true)
if [ "$n" -eq 1 ]; then ok; else failed "check overlap overlap/main.plat: expected the same E0200 shown once, got $n"; fi
expect_grep "check overlap overlap/main.plat: summary" "$tmp/err" '^error: check failed: 1 error emitted$'

cd "$tmp/empty"
run -- check
expect_rc "check with no PATH in a folder without .plat files (checks .)" 1
expect_grep "check with no PATH" "$tmp/err" "\\[E0502\\]"
cd "$tmp/w"

# ---- check: usage errors ---------------------------------------------------------------------
run -- check --formt json clean.plat
expect_rc "check --formt (unknown option)" 2
expect_grep "check --formt" "$tmp/err" "unknown option '--formt'; did you mean '--format'\\?"
expect_grep "check --formt: usage" "$tmp/err" '^usage: platc check '

run -- check --format xml clean.plat
expect_rc "check --format xml" 2
expect_grep "check --format xml" "$tmp/err" "invalid value 'xml' for --format"

run -- check --format jsn clean.plat
expect_grep "check --format jsn" "$tmp/err" "did you mean 'json'"

run -- check --format
expect_rc "check --format (no value)" 2

run -- check --max-errors lots clean.plat
expect_rc "check --max-errors lots" 2

run -- check --color sometimes clean.plat
expect_rc "check --color sometimes" 2

run -- check -- clean.plat
expect_rc "check -- clean.plat" 0

# ---- colour ---------------------------------------------------------------------------------
run NO_COLOR=1 -- check broken.plat
expect_no_grep "NO_COLOR=1 check" "$tmp/err" "$ESC"
run -- check --color never broken.plat
expect_no_grep "check --color never" "$tmp/err" "$ESC"
run -- check broken.plat
expect_no_grep "check (auto, not a terminal)" "$tmp/err" "$ESC"
run NO_COLOR=1 -- check --color always broken.plat
expect_grep "NO_COLOR=1 check --color always" "$tmp/err" "${ESC}\\[1;31merror"
run -- check --color=always broken.plat
expect_grep "check --color=always" "$tmp/err" "${ESC}\\[1;34m2 \\|"

# ---- machine formats ---------------------------------------------------------------------------
run -- check --format gcc broken.plat
expect_rc "check --format gcc broken.plat" 1
expect_empty "check --format gcc: stderr" "$tmp/err"
expect_grep "check --format gcc" "$tmp/out" '^broken\.plat:2:18: error: .* \[E0100\]$'
expect_no_grep "check --format gcc: no summary" "$tmp/out" 'check failed'

run -- check --format json broken.plat
expect_rc "check --format json broken.plat" 1
expect_empty "check --format json: stderr" "$tmp/err"
cp "$tmp/out" "$tmp/broken.json"
if json_valid "$tmp/broken.json"; then ok; else failed "check --format json: expected valid JSON, got:"; head -c 2000 "$tmp/broken.json"; fi
json_eq "$tmp/broken.json" '.version' 'd["version"]' 1
json_eq "$tmp/broken.json" '.diagnostics[0].code' 'd["diagnostics"][0]["code"]' E0100
json_eq "$tmp/broken.json" '.diagnostics[0].file' 'd["diagnostics"][0]["file"]' broken.plat
json_eq "$tmp/broken.json" '.diagnostics[0].range.start.line' 'd["diagnostics"][0]["range"]["start"]["line"]' 2
json_eq "$tmp/broken.json" '.diagnostics[0].range.start.column' 'd["diagnostics"][0]["range"]["start"]["column"]' 18
json_eq "$tmp/broken.json" '.summary.errors > 0' 'str(d["summary"]["errors"] > 0).lower()' true
run -- check --format json broken.plat
if cmp -s "$tmp/out" "$tmp/broken.json"; then ok; else failed "check --format json: expected the same bytes on a second run"; fi

run -- check --format json clean.plat
expect_rc "check --format json clean.plat" 0
cp "$tmp/out" "$tmp/clean.json"
json_eq "$tmp/clean.json" '.diagnostics | length' 'len(d["diagnostics"])' 0
json_eq "$tmp/clean.json" '.summary.errors' 'd["summary"]["errors"]' 0

run -- check --format json nope.plat
expect_rc "check --format json nope.plat" 2
cp "$tmp/out" "$tmp/nope.json"
json_eq "$tmp/nope.json" '.diagnostics[0].file' 'd["diagnostics"][0]["file"]' null

run -- check --format sarif broken.plat
expect_rc "check --format sarif broken.plat" 1
cp "$tmp/out" "$tmp/broken.sarif"
if json_valid "$tmp/broken.sarif"; then ok; else failed "check --format sarif: expected valid JSON"; fi
json_eq "$tmp/broken.sarif" '.version' 'd["version"]' 2.1.0
json_eq "$tmp/broken.sarif" '.runs[0].tool.driver.name' 'd["runs"][0]["tool"]["driver"]["name"]' platc
json_eq "$tmp/broken.sarif" '.runs[0].results[0].ruleId' 'd["runs"][0]["results"][0]["ruleId"]' E0100
json_eq "$tmp/broken.sarif" '.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri' \
  'd["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]' broken.plat
json_eq "$tmp/broken.sarif" '.runs[0].results[0].locations[0].physicalLocation.region.startColumn' \
  'd["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"]' 18
json_eq "$tmp/broken.sarif" '.runs[0].tool.driver.rules | length' 'len(d["runs"][0]["tool"]["driver"]["rules"])' \
  "$(grep -c '^DIAG(' "$DEF")"
json_eq "$tmp/broken.sarif" '.runs[0].columnKind' 'd["runs"][0]["columnKind"]' utf16CodeUnits

if [ -w /dev/full ]; then
  rc=0; "$PLATC" check --format json broken.plat >/dev/full 2>"$tmp/err" || rc=$?
  expect_rc "check --format json >/dev/full (output cannot be written)" 2
  expect_grep "check --format json >/dev/full" "$tmp/err" 'cannot write output'
fi

# ---- --version, help, unknown commands -------------------------------------------------------
run -- --version
expect_rc "--version" 0
expect_grep "--version" "$tmp/out" '^platc [0-9]+\.[0-9]+\.[0-9]+$'

for args in "help" "--help" "-h"; do
  # shellcheck disable=SC2086
  run -- $args
  expect_rc "platc $args" 0
  for c in check fmt explain help; do
    expect_grep "platc $args lists $c" "$tmp/out" "^  $c "
  done
  # help advertises exactly what works: every command it lists has its own help
  cp "$tmp/out" "$tmp/listed"
  for c in $(sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' "$tmp/listed"); do
    run -- help "$c"
    expect_rc "platc help $c (listed by platc $args)" 0
    expect_grep "platc help $c" "$tmp/out" "^[Uu]sage: platc ($c|<command>)"
  done
done

run -- help check
expect_rc "help check" 0
expect_grep "help check" "$tmp/out" '--format FORMAT'
cp "$tmp/out" "$tmp/help-check"
run -- check --help
expect_rc "check --help" 0
if cmp -s "$tmp/out" "$tmp/help-check"; then ok; else failed "check --help: expected the same text as 'help check'"; fi
run -- help explain
expect_rc "help explain" 0
expect_grep "help explain" "$tmp/out" '--list'
run -- help fmt
expect_rc "help fmt" 0
expect_grep "help fmt" "$tmp/out" 'platc fmt'

run -- help chek
expect_rc "help chek" 2
expect_grep "help chek" "$tmp/err" "did you mean 'check'"

run -- chek
expect_rc "platc chek (unknown command)" 2
expect_grep "platc chek" "$tmp/err" "unknown command 'chek'; did you mean 'check'\\?"
expect_grep "platc chek: usage" "$tmp/err" '^usage: platc '

run -- deploy --frobnicate
expect_rc "platc deploy --frobnicate" 2
expect_grep "platc deploy --frobnicate" "$tmp/err" "unknown option '--frobnicate'"

run -- --frobnicate
expect_rc "platc --frobnicate" 2
expect_grep "platc --frobnicate" "$tmp/err" "unknown option '--frobnicate'"

run --
expect_rc "platc with no arguments" 2
expect_grep "platc with no arguments" "$tmp/err" 'Usage: platc'

# ---- explain -----------------------------------------------------------------------------------
cd "$ROOT"
sed -n 's/^DIAG(\([EW][0-9][0-9][0-9][0-9]\), *[A-Z]*, *"[^"]*", *"\(.*\)")$/\1	\2/p' "$DEF" >"$tmp/codes"
if [ ! -s "$tmp/codes" ]; then failed "explain: expected codes in $DEF, found none"; fi
while IFS='	' read -r code summary; do
  run -- explain "$code"
  if [ "$rc" -ne 0 ]; then failed "explain $code: expected exit 0, got $rc"; cat "$tmp/err"; continue; fi
  first=$(head -n 1 "$tmp/out")
  if [ "$first" != "## $code: $summary" ]; then
    failed "explain $code: expected the first line '## $code: $summary', got '$first'"
    continue
  fi
  if [ "$(wc -l <"$tmp/out")" -lt 8 ]; then failed "explain $code: expected a full explanation, got:"; cat "$tmp/out"; continue; fi
  if ! grep -qF "## $code: $summary" "$DOC"; then failed "$DOC: expected a section '## $code: $summary'"; continue; fi
  low=$(printf '%s' "$code" | tr 'EW' 'ew')
  if ! grep -qF "<a id=\"$low\"></a>" "$DOC"; then failed "$DOC: expected an anchor <a id=\"$low\"></a> for $code"; continue; fi
  ok
done <"$tmp/codes"

run -- explain e0200
expect_rc "explain e0200 (lower case)" 0
expect_grep "explain e0200" "$tmp/out" '^## E0200: '

run -- explain unused-name
expect_rc "explain unused-name (a code by its name)" 0
expect_grep "explain unused-name" "$tmp/out" '^## W0001: '

run -- explain unused-nam
expect_rc "explain unused-nam" 2
expect_grep "explain unused-nam" "$tmp/err" "did you mean 'unused-name'"

run -- explain E0200 W0001
expect_rc "explain E0200 W0001" 0
expect_grep "explain E0200 W0001" "$tmp/out" '^## W0001: '

run -- explain --list
expect_rc "explain --list" 0
n=$(grep -cE '^[EW][0-9]{4}  ' "$tmp/out" || true)
if [ "$n" -eq "$(wc -l <"$tmp/codes")" ]; then ok; else failed "explain --list: expected $(wc -l <"$tmp/codes") codes, got $n"; fi

run -- explain E9999
expect_rc "explain E9999" 2
expect_grep "explain E9999" "$tmp/err" "unknown code 'E9999'"
expect_grep "explain E9999: hint" "$tmp/err" "platc explain --list"

run -- explain
expect_rc "explain (no code)" 2

# Sections are complete: each names its code once, and no heading is for an unknown code.
sed -n 's/^## \([EW][0-9][0-9][0-9][0-9]\):.*/\1/p' "$DOC" | sort >"$tmp/doc-codes"
cut -f1 "$tmp/codes" | sort >"$tmp/def-codes"
if cmp -s "$tmp/doc-codes" "$tmp/def-codes"; then ok; else
  failed "$DOC: expected exactly one section per code of $DEF; differences (< doc, > def):"
  diff "$tmp/doc-codes" "$tmp/def-codes" | head -n 20
fi

# ---- the examples of docs/diagnostics.md ---------------------------------------------------------
# In each section the first ```plat block fails with its code, the last checks clean.
mkdir -p "$tmp/doc"
awk -v dir="$tmp/doc" '
  /^## [EW][0-9][0-9][0-9][0-9]:/ { code = substr($2, 1, 5); n = 0; next }
  /^```plat$/ && code != "" { n++; file = dir "/" code "." n ".plat"; inb = 1; printf "" > file; next }
  /^```/ && inb { inb = 0; close(file); next }
  inb { print >> file }
' "$DOC"
cut -f1 "$tmp/codes" | while read -r code; do
  last=$(ls "$tmp/doc/$code".*.plat 2>/dev/null | sort -t. -k2 -n | tail -n 1)
  [ -n "$last" ] && [ "$last" != "$tmp/doc/$code.1.plat" ] || continue
  echo "$code $last"
done >"$tmp/doc-cases"
while read -r code last; do
  mkdir -p "$tmp/doc/$code-bad" "$tmp/doc/$code-good"
  cp "$tmp/doc/$code.1.plat" "$tmp/doc/$code-bad/main.plat"
  cp "$last" "$tmp/doc/$code-good/main.plat"
  run NO_COLOR=1 -- check "$tmp/doc/$code-bad"
  if grep -qF "[$code]" "$tmp/err"; then ok; else
    failed "$DOC: expected the first example of $code to show [$code], got (exit $rc):"; head -n 20 "$tmp/err"
    sed 's/^/    | /' "$tmp/doc/$code-bad/main.plat"
  fi
  run NO_COLOR=1 -- check "$tmp/doc/$code-good"
  if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; then ok; else
    failed "$DOC: expected the fixed example of $code to check clean (no diagnostic at all), got (exit $rc):"
    head -n 20 "$tmp/err"; sed 's/^/    | /' "$tmp/doc/$code-good/main.plat"
  fi
done <"$tmp/doc-cases"

# -o to something that is not a regular file (a FIFO here; /dev/null for users) is written
# to, never replaced by a renamed temporary file.
for cmd in build graph; do
  fifo="$tmp/out-$cmd.fifo"
  mkfifo "$fifo"
  timeout 20 cat "$fifo" >"$tmp/fifo-read" &
  reader=$!
  "$PLATC" $cmd examples/quickstart -o "$fifo" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  wait $reader
  if [ "$rc" -eq 0 ] && [ -p "$fifo" ] && [ -s "$tmp/fifo-read" ]; then ok; else
    failed "platc $cmd -o FIFO: expected exit 0, the FIFO kept and the output read through it (exit $rc)"
    cat "$tmp/err"
  fi
done

# check takes a .platb: loading verifies it; --policies runs its policies as for sources
"$PLATC" build tests/graph/policies.plat -o "$tmp/pol.platb" >/dev/null 2>&1
run -- check --policies tests/graph/policies.plat
cp "$tmp/err" "$tmp/pol-src"
src_rc=$rc
run -- check --policies "$tmp/pol.platb"
if [ "$rc" -eq 1 ] && [ "$src_rc" -eq 1 ] && cmp -s "$tmp/err" "$tmp/pol-src"; then ok; else
  failed "check --policies FILE.platb: expected exit 1 and the sources' report, got exit $rc:"; cat "$tmp/err"
fi
run -- check "$tmp/pol.platb"
expect_rc "check FILE.platb (verified)" 0
head -c 100 "$tmp/pol.platb" >"$tmp/cut.platb"
run -- check "$tmp/cut.platb"
expect_rc "check of a truncated .platb" 2
expect_grep "check of a truncated .platb" "$tmp/err" "cut.platb: truncated"

echo "cli: $pass passed, $fail failed ($(wc -l <"$tmp/doc-cases" | tr -d ' ') documented examples)"
[ "$fail" -eq 0 ]
