#!/bin/sh
# Every ```plat block of the user-facing docs checks as the docs say.  Usage:
#   tests/run_docs.sh PLATC          (run from the repository root)
# Docs: docs/language.md, docs/fmt.md, README.md and every examples/**/README.md.
# A block is a whole program that `platc check` accepts with no diagnostic at all (not even
# a warning), unless the line directly above its fence is one of these markers:
#   <!-- fragment -->            an excerpt, not a whole program (names from elsewhere):
#                                it must lex and parse (no E00xx/E01xx) and that is all
#   <!-- expect: E0200 W0001 --> a program showing mistakes: it must show exactly these
#                                codes (each at least once, no other), exit 1 if any is
#                                an error, else 0
# Every block must also format idempotently (`platc fmt -` twice gives the same text).
# docs/diagnostics.md is left to tests/run_cli.sh, and the canonical form of docs/fmt.md's
# blocks to tests/run_fmt.sh.  Fails on zero blocks, an unterminated block, a fence that
# looks like plat but is not exactly ```plat, and a marker that is not above a fence.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_docs.sh PLATC" >&2
  exit 2
fi
PLATC=$1
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
DEF=compiler/diag_codes.def

pass=0
fail=0
failed() { echo "FAIL $*"; fail=$((fail + 1)); }

if [ ! -x "$PLATC" ]; then
  echo "FAIL docs: expected an executable platc at $PLATC, found none"
  echo "docs: 0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The docs, overridable (DOCS="a.md b.md") to test this script itself.
if [ -n "${DOCS:-}" ]; then
  docs=$DOCS
else
  docs="docs/language.md docs/fmt.md README.md $(find examples -name README.md 2>/dev/null | LC_ALL=C sort | tr '\n' ' ')"
fi

# ---- extract --------------------------------------------------------------------------
# One line per block in $tmp/blocks: DOC<TAB>LINE<TAB>KIND<TAB>CODES<TAB>FILE (CODES "-"
# when none: tabs are IFS white space, so an empty field would vanish); problems
# with the markup itself go to $tmp/markup, one per line.
: >"$tmp/blocks"
: >"$tmp/markup"
i=0
for doc in $docs; do
  if [ ! -f "$doc" ]; then
    failed "$doc: expected a file to read, found none"
    continue
  fi
  i=$((i + 1))
  awk -v doc="$doc" -v dir="$tmp" -v id="$i" -v blocks="$tmp/blocks" -v markup="$tmp/markup" '
    function problem(msg) { printf "%s:%d: %s\n", doc, NR, msg >> markup }
    # The marker on the line above a fence, parsed into kind and codes.
    function marker(line,   body, n, k, words) {
      kind = "program"; codes = ""
      if (line !~ /^<!--.*-->[ \t]*$/) return 1
      body = line; sub(/^<!--[ \t]*/, "", body); sub(/[ \t]*-->[ \t]*$/, "", body)
      if (body == "fragment") { kind = "fragment"; return 1 }
      if (body ~ /^expect:/) {
        sub(/^expect:[ \t]*/, "", body)
        n = split(body, words, /[ \t,]+/)
        for (k = 1; k <= n; k++) {
          if (words[k] == "") continue
          if (words[k] !~ /^[EW][0-9][0-9][0-9][0-9]$/) { problem("expected a code like E0200 in the marker, got \"" words[k] "\""); continue }
          codes = codes (codes == "" ? "" : " ") words[k]
        }
        if (codes == "") problem("expected at least one code after expect:")
        kind = "expect"
        return 1
      }
      return 1
    }
    {
      sub(/\r$/, "")
    }
    inb && /^[ \t]*```/ {
      if ($0 != "```") problem("expected a closing ``` for the block opened at line " start ", got \"" $0 "\"")
      inb = 0; close(file); prev = $0; next
    }
    inb { print >> file; prev = $0; next }
    /^```plat$/ {
      n++; file = dir "/" id "." n ".plat"; printf "" > file
      inb = 1; start = NR
      marker(prev)
      printf "%s\t%d\t%s\t%s\t%s\n", doc, NR, kind, (codes == "" ? "-" : codes), file >> blocks
      prev = $0; next
    }
    # A fence that a reader takes for Plat but the extraction would skip.
    /^[ \t]*(```|~~~)[ \t]*[Pp][Ll][Aa][Tt]/ { problem("expected a fence written exactly ```plat at the start of the line, got \"" $0 "\"") }
    # A code block of another language: skip to its end.
    /^[ \t]*```/ { inother = !inother; prev = $0; next }
    {
      if (!inother && prev ~ /^<!--[ \t]*(fragment|expect)/)
        problem("expected a ```plat fence right below the marker \"" prev "\", got \"" $0 "\"")
      prev = $0
    }
    END {
      if (inb) problem("expected a closing ``` for the block opened at line " start ", got the end of the file")
      if (prev ~ /^<!--[ \t]*(fragment|expect)/) problem("expected a ```plat fence below the marker \"" prev "\", got the end of the file")
    }
  ' "$doc"
done

while IFS= read -r line; do
  failed "$line"
done <"$tmp/markup"

nblocks=$(wc -l <"$tmp/blocks" | tr -d ' ')
if [ "$nblocks" -eq 0 ]; then
  failed "docs: expected at least one \`\`\`plat block in $docs, found none"
fi

# ---- check every block ------------------------------------------------------------------
sed -n 's/^DIAG(\([EW][0-9][0-9][0-9][0-9]\),.*/\1/p' "$DEF" >"$tmp/codes" 2>/dev/null || true

# show_block FILE: the block, for a failure message.
show_block() { sed 's/^/    | /' "$1" | head -n 40; }

nprog=0
nfrag=0
nexp=0
while IFS='	' read -r doc line kind codes file; do
  where="$doc:$line"
  # Each block is checked as main.plat of a folder of its own.
  d="$tmp/case"
  rm -rf "$d"
  mkdir -p "$d"
  cp "$file" "$d/main.plat"
  rc=0
  (cd "$d" && NO_COLOR=1 timeout 60 "$PLATC" check main.plat >"$tmp/out" 2>"$tmp/err" </dev/null) || rc=$?
  grep -oE '^(error|warning)\[[EW][0-9]{4}\]' "$tmp/err" | sed 's/.*\[\(.*\)\]/\1/' | LC_ALL=C sort -u >"$tmp/shown" || true
  ok=1
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then
    failed "$where: expected no sanitizer report, got:"; grep -E -A3 'Sanitizer|runtime error:' "$tmp/err" | head -n 8
    ok=0
  elif [ "$rc" -eq 124 ] || [ "$rc" -gt 2 ]; then
    failed "$where: expected platc check to finish with exit 0 or 1, got $rc"
    ok=0
  else
    case $kind in
    program)
      nprog=$((nprog + 1))
      if [ "$rc" -ne 0 ] || [ -s "$tmp/err" ] || [ -s "$tmp/out" ]; then
        failed "$where: expected a whole program that checks clean with no diagnostic (or mark it <!-- fragment --> or <!-- expect: CODE -->), got exit $rc:"
        head -n 30 "$tmp/err"; show_block "$file"
        ok=0
      fi
      ;;
    fragment)
      nfrag=$((nfrag + 1))
      if grep -qE '^error\[E0[01][0-9][0-9]\]' "$tmp/err"; then
        failed "$where: expected a fragment that lexes and parses, got:"
        grep -E -A6 '^error\[E0[01][0-9][0-9]\]' "$tmp/err" | head -n 30; show_block "$file"
        ok=0
      fi
      ;;
    expect)
      nexp=$((nexp + 1))
      printf '%s\n' $codes | LC_ALL=C sort -u >"$tmp/want"
      for c in $codes; do
        if ! grep -qx "$c" "$tmp/codes"; then
          failed "$where: expected the marker to name codes of $DEF, got unknown code $c"; ok=0
        fi
      done
      if ! cmp -s "$tmp/want" "$tmp/shown"; then
        failed "$where: expected exactly the codes [$(tr '\n' ' ' <"$tmp/want" | sed 's/ $//')], got [$(tr '\n' ' ' <"$tmp/shown" | sed 's/ $//')]:"
        head -n 30 "$tmp/err"; show_block "$file"
        ok=0
      fi
      want_rc=0
      grep -q '^E' "$tmp/want" && want_rc=1
      if [ "$ok" -eq 1 ] && [ "$rc" -ne "$want_rc" ]; then
        failed "$where: expected exit $want_rc for [$(tr '\n' ' ' <"$tmp/want" | sed 's/ $//')], got $rc"
        ok=0
      fi
      ;;
    esac
  fi

  # Formatting is idempotent on every block that parses (a fragment included).
  if [ "$ok" -eq 1 ] && ! grep -qE '^error\[E0[01][0-9][0-9]\]' "$tmp/err"; then
    frc=0
    timeout 60 "$PLATC" fmt - <"$file" >"$tmp/f1" 2>"$tmp/ferr" || frc=$?
    if [ "$frc" -ne 0 ]; then
      failed "$where: expected 'platc fmt -' to format the block (exit 0), got $frc:"; head -n 20 "$tmp/ferr"
      ok=0
    else
      frc=0
      timeout 60 "$PLATC" fmt - <"$tmp/f1" >"$tmp/f2" 2>"$tmp/ferr" || frc=$?
      if [ "$frc" -ne 0 ] || ! cmp -s "$tmp/f1" "$tmp/f2"; then
        failed "$where: expected formatting the formatted block to change nothing, got exit $frc:"
        diff -u "$tmp/f1" "$tmp/f2" | head -n 30 || true
        ok=0
      fi
    fi
  fi

  if [ "$ok" -eq 1 ]; then pass=$((pass + 1)); fi
done <"$tmp/blocks"

echo "docs: $pass passed, $fail failed ($nblocks blocks: $nprog programs, $nfrag fragments, $nexp with expected diagnostics)"
[ "$fail" -eq 0 ]
