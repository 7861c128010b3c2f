#!/bin/sh
# Bad input never crashes platc.  Usage: tests/run_bad.sh PLATC
# The inputs are generated here (no megabyte files in git): deep nesting, huge literals,
# a 50 MB line, random bytes and token soup (awk srand: deterministic), invalid UTF-8,
# NUL bytes, binary files, unreadable paths, empty and comment-only files, and valid but
# pathological programs (100,000-long declaration chains) that a recursive pass would
# overflow on.  Each must finish within 60 s with the expected exit status, a location
# (file:line:col, or the path for I/O errors), the expected code where there is one, and
# no sanitizer report or signal.  `platc fmt --check` gets the same files.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_bad.sh PLATC" >&2
  exit 2
fi
PLATC=$1
LIMIT=${BAD_TIMEOUT:-60}   # seconds per run; a hang is a failure
export LC_ALL=C   # awk prints bytes, not characters

pass=0
fail=0
if [ ! -x "$PLATC" ]; then
  echo "FAIL bad: expected an executable platc at $PLATC, found none"
  echo "bad: 0 passed, 1 failed"
  exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/plat-bad.XXXXXX")
# BAD_KEEP=1 keeps the generated inputs for a look.
[ "${BAD_KEEP:-0}" = 1 ] && echo "bad: inputs kept in $T" || trap 'chmod -R u+rwx "$T" 2>/dev/null || true; rm -rf "$T"' EXIT INT TERM
OUT=$T/_out

# Show the start of the output: lines can be 50 MB long.
show() { head -c 1500 "$OUT" | cut -c 1-240 | sed 's/^/    | /'; echo; }

# General verdict on the last run: sets why (empty when fine).  $1 = command label.
crashed() {
  why=""
  if [ "$rc" -eq 124 ]; then
    why="timed out after $LIMIT s (a hang or quadratic blow-up)"
  elif grep -aqE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|Segmentation fault|stack-overflow' "$OUT"; then
    why="a sanitizer or crash report: $(grep -aoE '(ERROR: [A-Za-z]+Sanitizer: [a-z-]+|runtime error: .{0,80}|Segmentation.{0,20})' "$OUT" | head -n 1)"
  elif [ "$rc" -ge 125 ]; then
    why="exit $rc (killed by signal $((rc - 128)))"
  fi
  [ -n "$why" ]
}

# Does the output hold a location in [path] (a file, or a folder's file) at [line]?
has_loc() { grep -aqE "$1[^ :]*:${2:-[0-9]+}:[0-9]+" "$OUT"; }

# expect KIND NAME PATH [CODE] [LINE-OR-TEXT]
#   diag   exit 1, a file:line:col location under PATH (at LINE if given), [CODE] if given
#   io     exit 2 naming PATH (or TEXT), [CODE] if given
#   io12   exit 1 or 2 naming PATH (or TEXT): an unreadable entry inside a module
#   io012  exit 0 (the entry is skipped), or exit 1 or 2 naming PATH (or TEXT)
#   clean  exit 0
#   any    valid but pathological: exit 0, or exit 1 with a location (a limit diagnosed)
expect() {
  kind=$1 name=$2 path=$3 code=${4:-} line=${5:-}
  needle=$path
  case $kind in io*) line="" needle=${5:-$path} ;; esac
  rc=0
  NO_COLOR=1 timeout $LIMIT "$PLATC" check "$path" >"$OUT" 2>&1 </dev/null || rc=$?
  judge
  # A lexical or syntax error found by check must stop the formatter too, but for those
  # that lose no text (docs/fmt.md: E0004, E0102, E0103, E0104), which it lays out.
  syn=0
  grep -aoE '\[E0[01][0-9][0-9]\]' "$OUT" | grep -qvE 'E0004|E0102|E0103|E0104' && syn=1
  # The formatter reads the same bytes (not folders: those are modules).
  if [ ! -d "$path" ]; then
    rc=0
    NO_COLOR=1 timeout $LIMIT "$PLATC" fmt --check "$path" >"$OUT" 2>&1 </dev/null || rc=$?
    judge_fmt
  fi
}

judge() {
  want=""
  if crashed; then
    :
  else
    case $kind in
    diag)
      want="exit 1 with a location $path:${line:-L}:C${code:+ and [$code]}"
      if [ "$rc" -ne 1 ]; then why="exit $rc"
      elif ! has_loc "$path" "$line"; then why="no location"
      elif [ -n "$code" ] && ! grep -aqF "[$code]" "$OUT"; then why="no [$code]"
      fi ;;
    io | io12 | io012)
      case $kind in io) want="exit 2" ;; io12) want="exit 1 or 2" ;; *) want="exit 0, or exit 1 or 2" ;; esac
      want="$want naming $needle${code:+ and [$code]}"
      if [ "$kind" = io012 ] && [ "$rc" -eq 0 ]; then :
      elif [ "$kind" = io ] && [ "$rc" -ne 2 ]; then why="exit $rc"
      elif [ "$kind" != io ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then why="exit $rc"
      elif ! grep -aqF "$needle" "$OUT"; then why="no $needle in the output"
      elif [ -n "$code" ] && ! grep -aqF "[$code]" "$OUT"; then why="no [$code]"
      fi ;;
    clean)
      want="exit 0"
      [ "$rc" -eq 0 ] || why="exit $rc" ;;
    any)
      want="exit 0, or exit 1 with a location"
      if [ "$rc" -eq 1 ]; then has_loc "$path" || why="exit 1 without a location"
      elif [ "$rc" -ne 0 ]; then why="exit $rc"
      fi ;;
    esac
  fi
  if [ -n "$why" ]; then
    echo "FAIL bad/$name (check): expected ${want:-no crash}, got $why"
    show
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}

# fmt --check: never a crash or hang; a lexical or syntax error that check reported
# (E00xx, E01xx but those fmt lays out) must be reported too (non-zero exit, a location);
# else exit 0, 1 or 2.
judge_fmt() {
  want="no crash, exit 0, 1 or 2"
  if crashed; then
    :
  elif [ "$rc" -gt 2 ]; then
    why="exit $rc"
  elif [ "$syn" -eq 1 ]; then
    want="a non-zero exit with a location, as check found a syntax error"
    if [ "$rc" -eq 0 ]; then why="exit 0"
    elif ! has_loc "$path"; then why="no location"
    fi
  fi
  if [ -n "$why" ]; then
    echo "FAIL bad/$name (fmt --check): expected $want, got $why"
    show
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}

# gen NAME AWK-PROGRAM: write $T/NAME.plat from an awk BEGIN block.
gen() { awk "BEGIN { $2 }" >"$T/$1.plat"; }
# rep S N: an awk expression repeating the string S N times (doubling; fast for 50 MB).
REP='function rep(s, n,   r) { r = ""; while (n > 0) { if (n % 2) r = r s; s = s s; n = int(n / 2) } return r }'
genr() { awk "$REP BEGIN { $2 }" >"$T/$1.plat"; }

# ---- deep nesting: a limit, not a stack overflow ---------------------------------------
genr deep-brackets 'printf "let x = %s\n", rep("[", 100000)'
expect diag deep-brackets "$T/deep-brackets.plat" E0101 1
genr deep-parens 'printf "let x = %s1\n", rep("(", 100000)'
expect diag deep-parens "$T/deep-parens.plat" E0101 1
genr deep-records 'printf "let x = %s\n", rep("{ a = ", 100000)'
expect diag deep-records "$T/deep-records.plat" E0101 1
genr deep-unary 'printf "let x = %s1\n", rep("-", 100000)'
expect diag deep-unary "$T/deep-unary.plat" "" 1
genr deep-not 'printf "let x = %strue\n", rep("!", 100000)'
expect diag deep-not "$T/deep-not.plat" "" 1
genr sum-chain 'printf "let x = 1%s\n", rep("+1", 99999)'
expect diag sum-chain "$T/sum-chain.plat" "" 1
genr and-chain 'printf "let x = true%s\n", rep(" && true", 99999)'
expect diag and-chain "$T/and-chain.plat" "" 1
genr interp-nesting 'printf "let s = %s1%s\n", rep("\"${", 10000), rep("}\"", 10000)'
expect diag interp-nesting "$T/interp-nesting.plat" E0009 1
genr deep-list-type 'printf "param p: %sint%s\n", rep("list<", 100000), rep(">", 100000)'
expect diag deep-list-type "$T/deep-list-type.plat" "" 1
genr deep-record-type 'printf "type T = %sint%s\n", rep("{ a: ", 100000), rep(" }", 100000)'
expect diag deep-record-type "$T/deep-record-type.plat" "" 1
genr member-chain 'printf "let a = { b = 1 }\nlet x = a%s\n", rep(".b", 100000)'
expect diag member-chain "$T/member-chain.plat" "" 2
genr call-chain 'printf "fn f(): int = 1\nlet x = f%s\n", rep("()", 100000)'
expect diag call-chain "$T/call-chain.plat" "" 2
genr index-chain 'printf "let a = [1]\nlet x = a%s\n", rep("[0]", 100000)'
expect diag index-chain "$T/index-chain.plat" "" 2
genr if-chain 'printf "let x = %s0\n", rep("if true then 1 else ", 100000)'
expect any if-chain "$T/if-chain.plat"

# ---- huge literals and lines -----------------------------------------------------------
genr int-100-digits 'printf "let x = %s\n", rep("9", 100)'
expect diag int-100-digits "$T/int-100-digits.plat" E0006 1
gen int-one-past-max 'print "let ok = -9223372036854775808"; print "let x = 9223372036854775808"'
expect diag int-one-past-max "$T/int-one-past-max.plat" E0006 2
gen int-one-below-min 'print "let x = -9223372036854775809"'
expect diag int-one-below-min "$T/int-one-below-min.plat" E0006 1
genr hex-overflow 'printf "let x = 0x%s\n", rep("F", 40)'
expect diag hex-overflow "$T/hex-overflow.plat" E0006 1
gen float-overflow 'print "let ok = 1.5e300"; print "let x = 1e999"'
expect diag float-overflow "$T/float-overflow.plat" E0008 2
genr float-long-mantissa 'printf "let x = %s.5\n", rep("1", 100000)'
expect diag float-long-mantissa "$T/float-long-mantissa.plat" E0008 1
gen malformed-numbers 'print "let a = 0x"; print "let b = 1__0"; print "let c = 1e"'
expect diag malformed-numbers "$T/malformed-numbers.plat" E0007 1
gen escape-overflow 'print "let a = \"\\u{FFFFFFFFFFFFFFFFFFFFFFFF}\""'
expect diag escape-overflow "$T/escape-overflow.plat" E0004 1
gen escape-surrogate 'print "let a = \"ok\""; print "let b = \"\\u{D800}\""'
expect diag escape-surrogate "$T/escape-surrogate.plat" E0004 2
gen escape-past-max 'print "let a = \"\\u{110000}\""'
expect diag escape-past-max "$T/escape-past-max.plat" E0004 1
genr line-50mb-unterminated 'printf "let x = \"%s\n", rep("a", 50 * 1048576)'
expect diag line-50mb-unterminated "$T/line-50mb-unterminated.plat" E0003 1
genr line-50mb-stray 'printf "let x = \"%s\" ~\n", rep("a", 50 * 1048576)'
expect diag line-50mb-stray "$T/line-50mb-stray.plat" E0002 1
genr identifier-1mb 'printf "let %s = 1\noutput o = %s\n", rep("a", 1048576), rep("a", 1048576)'
expect any identifier-1mb "$T/identifier-1mb.plat"
genr list-100k 'printf "let x = [%s1]\noutput o = x\n", rep("1, ", 100000)'
expect any list-100k "$T/list-100k.plat"
genr interp-100k 'printf "let a = 1\nlet s = \"%s\"\noutput o = s\n", rep("${a}", 100000)'
expect any interp-100k "$T/interp-100k.plat"

# ---- unterminated things at the end of the file ----------------------------------------
gen unterminated-comment 'print "let x = 1"; printf "/* never closed\n\n"'
expect diag unterminated-comment "$T/unterminated-comment.plat" E0005 2
gen unterminated-string-eof 'printf "let x = \"abc"'
expect diag unterminated-string-eof "$T/unterminated-string-eof.plat" E0003 1
gen unterminated-multiline 'print "let x = \"\"\""; print "  abc"'
expect diag unterminated-multiline "$T/unterminated-multiline.plat" E0003 1
gen unterminated-interp 'printf "let x = \"a${b"'
expect diag unterminated-interp "$T/unterminated-interp.plat" "" 1
gen open-brace-eof 'printf "resource r: local.File {"'
expect diag open-brace-eof "$T/open-brace-eof.plat" "" 1

# ---- encodings and bytes ---------------------------------------------------------------
gen utf8-in-string 'print "let ok = \"caf\303\251\""; printf "let s = \"a\377b\"\n"'
expect diag utf8-in-string "$T/utf8-in-string.plat" E0001 2
gen utf8-in-comment 'print "let x = 1"; printf "// overlong slash: \300\257\n"'
expect diag utf8-in-comment "$T/utf8-in-comment.plat" E0001 2
gen utf8-in-identifier 'print "let x = 1"; printf "let caf\351 = 2\n"'
expect diag utf8-in-identifier "$T/utf8-in-identifier.plat" E0001 2
gen utf8-surrogate 'print "let x = 1"; printf "let s = \"\355\240\200\"\n"'
expect diag utf8-surrogate "$T/utf8-surrogate.plat" E0001 2
gen utf8-truncated-eof 'printf "let s = 1 // \342\202"'
expect diag utf8-truncated-eof "$T/utf8-truncated-eof.plat" E0001 1
gen nul-byte 'print "let x = 1"; printf "let y = 2%c\n", 0'
expect diag nul-byte "$T/nul-byte.plat" E0010 2
gen nul-in-string 'printf "let s = \"a%cb\"\n", 0'
expect diag nul-in-string "$T/nul-in-string.plat" E0010 1
gen bom 'printf "\357\273\277let x = 1\noutput o = x\n"'
expect any bom "$T/bom.plat"
gen crlf 'printf "let x = 1\r\noutput o = x\r\n"'
expect clean crlf "$T/crlf.plat"
# A binary file: an ELF header, NULs, then bytes (synthetic, so no text in it can look
# like a sanitizer report when the snippet echoes it).
awk 'BEGIN { printf "\177ELF\002\001\001"; for (i = 0; i < 57; i++) printf "%c", 0
             srand(7); for (i = 0; i < 65472; i++) printf "%c", int(rand() * 256) }' >"$T/binary.plat"
expect diag binary "$T/binary.plat" E0010 1
for seed in 42 43 44 45 46; do
  # 64 KiB of random bytes: invalid UTF-8 and NULs somewhere, certainly.
  awk -v seed=$seed 'BEGIN { srand(seed); for (i = 0; i < 65536; i++) printf "%c", int(rand() * 256) }' >"$T/random-$seed.plat"
  expect diag "random-$seed" "$T/random-$seed.plat"
  # Token soup: valid tokens in random order, to exercise error recovery (and E0105).
  awk -v seed=$seed 'BEGIN {
    n = split("use import as param let type fn resource component output policy for in if then else test assert deny warn moved where secret true false null self " \
              "{ } [ ] ( ) , . : = => ? ?? | @ + - * / % ! == != < <= > >= && || " \
              "x y owner local.File 0 1 42 0x1F 1.5 \"s\" \"a${x}b\" \"\"\" // /* */ /// \n \n", tok, " ")
    srand(seed)
    for (i = 0; i < 20000; i++) printf "%s ", tok[int(rand() * n) + 1]
    print ""
  }' >"$T/soup-$seed.plat"
  expect diag "soup-$seed" "$T/soup-$seed.plat"
done
# One error per line, with tokens between them so recovery reports each: cut at E0105.
gen many-syntax-errors 'for (i = 0; i < 10000; i++) printf "let a%d = )\n", i'
expect diag many-syntax-errors "$T/many-syntax-errors.plat" E0105 1

# ---- empty and comment-only files are valid modules ------------------------------------
: >"$T/empty.plat"
expect clean empty "$T/empty.plat"
gen only-comments 'print "// a comment"; print "/* a block"; print "   comment */"; print "// the end"'
expect clean only-comments "$T/only-comments.plat"
gen only-doc-comment 'print "/// documents nothing"'
expect any only-doc-comment "$T/only-doc-comment.plat"
gen only-whitespace 'printf "\n\n   \t\r\n\n"'
expect clean only-whitespace "$T/only-whitespace.plat"

# ---- valid but pathological: a recursive checker would overflow its stack --------------
gen let-chain 'print "let x0 = 1"; for (i = 1; i < 100000; i++) printf "let x%d = x%d\n", i, i - 1; print "output o = x99999"'
expect any let-chain "$T/let-chain.plat"
gen let-cycle 'for (i = 0; i < 99999; i++) printf "let x%d = x%d\n", i, i + 1; print "let x99999 = x0"'
expect diag let-cycle "$T/let-cycle.plat" E0205
gen fn-chain 'print "fn f0(a: int): int = a"; for (i = 1; i < 20000; i++) printf "fn f%d(a: int) = f%d(a)\n", i, i - 1; print "output o = f19999(1)"'
expect any fn-chain "$T/fn-chain.plat"
gen type-chain 'print "type T0 = int"; for (i = 1; i < 100000; i++) printf "type T%d = T%d\n", i, i - 1; print "param p: T99999 = 1"'
expect any type-chain "$T/type-chain.plat"
gen type-cycle 'for (i = 0; i < 99999; i++) printf "type T%d = T%d\n", i, i + 1; print "type T99999 = T0"'
expect diag type-cycle "$T/type-cycle.plat"
gen component-chain 'print "component C0 {\n  param n: string = \"x\"\n}"; for (i = 1; i < 5000; i++) printf "component C%d {\n  resource r: C%d {}\n}\n", i, i - 1; print "resource top: C4999 {}"'
expect any component-chain "$T/component-chain.plat"

# Modules: a 1,000-long import chain, and the same closed into a cycle.
mkdir "$T/chain" "$T/cycle"
awk -v T="$T" 'BEGIN {
  for (i = 0; i < 1000; i++) { print T "/chain/m" i; print T "/cycle/m" i }
}' | xargs mkdir
awk -v T="$T" 'BEGIN {
  for (i = 0; i < 1000; i++) {
    f = T "/chain/m" i "/a.plat"
    if (i < 999) printf "import \"../m%d\" as next\nlet v = next.v\n", i + 1 >f
    else print "let v = 1" >f
    close(f)
    f = T "/cycle/m" i "/a.plat"
    printf "import \"../m%d\" as next\nlet v = next.v\n", (i + 1) % 1000 >f
    close(f)
  }
}'
expect any import-chain "$T/chain/m0"
expect diag import-cycle "$T/cycle/m0" E0500

# ---- unreadable files -------------------------------------------------------------------
expect io nonexistent "$T/does-not-exist.plat"
expect io nonexistent-dir "$T/no/such/dir"
mkdir "$T/dir.plat"
expect io12 dir-named-plat "$T/dir.plat"
mkdir "$T/mod-with-dir"
echo 'let x = 1' >"$T/mod-with-dir/a.plat"
mkdir "$T/mod-with-dir/b.plat"
expect io012 module-with-dir-entry "$T/mod-with-dir" "" b.plat
mkdir "$T/mod-with-link"
echo 'let x = 1' >"$T/mod-with-link/a.plat"
ln -s "$T/nowhere.plat" "$T/mod-with-link/c.plat"
expect io12 module-with-dangling-link "$T/mod-with-link" "" c.plat
ln -s "$T/nowhere.plat" "$T/dangling.plat"
expect io dangling-link "$T/dangling.plat"
mkdir "$T/empty-module"
expect io12 empty-module "$T/empty-module" E0502
if [ "$(id -u)" -ne 0 ]; then
  # chmod 000 only stops a non-root user (CI runs as root).
  echo 'let x = 1' >"$T/noperm.plat"
  chmod 000 "$T/noperm.plat"
  expect io no-permission "$T/noperm.plat"
fi

# ---- machine formats on the nastiest bytes ----------------------------------------------
# JSON and SARIF must stay valid JSON whatever the source holds (invalid UTF-8, NULs,
# control bytes, a 50 MB line); gcc lines must carry the location.
if command -v jq >/dev/null 2>&1; then
  json_ok() { jq -e . "$1" >/dev/null 2>&1; }
elif command -v python3 >/dev/null 2>&1; then
  json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1], "rb"))' "$1" 2>/dev/null; }
else
  echo "bad: neither jq nor python3: JSON validity not checked"
  json_ok() { true; }
fi
for name in random-42 binary utf8-in-string utf8-in-identifier nul-byte line-50mb-stray soup-43 many-syntax-errors; do
  path=$T/$name.plat
  for format in json sarif gcc; do
    rc=0
    NO_COLOR=1 timeout $LIMIT "$PLATC" check --format $format "$path" >"$OUT" 2>"$T/_err" </dev/null || rc=$?
    want="exit 1 with valid $format output"
    if crashed; then :
    elif [ "$rc" -ne 1 ]; then why="exit $rc"
    elif [ -s "$T/_err" ]; then why="stderr output: $(head -c 200 "$T/_err")"
    elif [ "$format" = gcc ]; then has_loc "$path" || why="no location"
    else json_ok "$OUT" || why="invalid JSON"
    fi
    if [ -n "$why" ]; then
      echo "FAIL bad/$name (check --format $format): expected $want, got $why"
      show
      fail=$((fail + 1))
    else
      pass=$((pass + 1))
    fi
  done
done

echo "bad: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
