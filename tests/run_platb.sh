#!/bin/sh
# .platb modules end to end.  Usage: tests/run_platb.sh PLATC
# For every example and every tests/platb/**/*.plat: `platc build` exits 0, writes the
# same bytes twice (deterministic), a .platb loaded and written again (`platc build
# X.platb`) gives its own bytes back, and `platc graph` of the .platb prints exactly what
# `platc graph` of the sources prints (stdout and exit status), in every format.  `platc
# disasm` of tests/platb/disasm/*.plat matches its .disasm golden (UPDATE=1 rewrites them;
# they follow the compiler, so read the diff) and is the same for the .platb.  Every opcode
# of vm/opcodes.def is listed in docs/bytecode.md.  Refused files (cut, source text, newer
# version, trailing bytes, a jump out of its function) exit 2 with "FILE: <kind>: ..." on
# stderr and nothing on stdout, for graph, disasm and build alike.  A stale .platb warns
# and still runs.  fuzz_platb's seeds and tests/fuzz/platb/ regressions replay without
# a crash.
# Run from the repository root.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_platb.sh PLATC" >&2
  exit 2
fi
PLATC=$1
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
O=$(dirname "$PLATC")
ROOT=$(pwd)

pass=0
fail=0
ok() { pass=$((pass + 1)); }
failed() { echo "FAIL $*"; fail=$((fail + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-platb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# run NAME ARGS...: platc ARGS with stdout in $tmp/NAME.out, stderr in $tmp/NAME.err, rc set.
run() {
  name=$1
  shift
  rc=0
  NO_COLOR=1 timeout 120 "$PLATC" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null || rc=$?
  if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/$name.err"; then
    failed "platc $*: expected no sanitizer report, got:"
    grep -E -A3 'Sanitizer|runtime error:' "$tmp/$name.err" | head -n 8
  fi
}

# ---- build, determinism, graph and eval from the .platb ---------------------------------
programs=$(find examples -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort; find tests/platb -name '*.plat' | LC_ALL=C sort)
if [ -z "$programs" ]; then failed "platb: expected examples/ and tests/platb/*.plat, found none"; fi
for src in $programs; do
  id=$(printf '%s' "$src" | tr '/.' '__')
  b1=$tmp/$id.platb
  run build1 build "$src" -o "$b1"
  if [ "$rc" -ne 0 ] || [ ! -s "$b1" ]; then
    failed "platc build $src: expected exit 0 and a file, got exit $rc:"; head -n 10 "$tmp/build1.err"; continue
  fi
  ok
  run build2 build "$src" -o "$tmp/$id.again.platb"
  if cmp -s "$b1" "$tmp/$id.again.platb"; then ok; else failed "platc build $src twice: expected the same bytes"; fi
  # loaded and written again: the same bytes (one encoding per module)
  run rebuild build "$b1" -o "$tmp/$id.rewritten.platb"
  if [ "$rc" -eq 0 ] && cmp -s "$b1" "$tmp/$id.rewritten.platb"; then ok; else
    failed "platc build $b1 (load and write again): expected exit 0 and the same bytes, got $rc"; head -n 3 "$tmp/rebuild.err"
  fi
  # a .platb is a program as good as its sources
  run gsrc graph "$src"
  grc=$rc
  run gbin graph "$b1"
  if [ "$rc" -ne "$grc" ]; then
    failed "platc graph $b1: expected exit $grc as from the sources, got $rc:"; head -n 5 "$tmp/gbin.err"
  elif ! cmp -s "$tmp/gsrc.out" "$tmp/gbin.out"; then
    failed "platc graph $b1: expected the bytes platc graph $src prints:"
    diff "$tmp/gsrc.out" "$tmp/gbin.out" | head -n 10
  else
    ok
  fi
  for fmt in dot mermaid; do
    run fsrc graph --format "$fmt" "$src"
    run fbin graph --format "$fmt" "$b1"
    if cmp -s "$tmp/fsrc.out" "$tmp/fbin.out"; then ok; else failed "platc graph --format $fmt $b1: expected the bytes of the sources"; fi
  done
done

# ---- disasm goldens -----------------------------------------------------------------------
for src in $(find tests/platb/disasm -name '*.plat' | LC_ALL=C sort); do
  want=${src%.plat}.disasm
  run dis disasm "$src"
  if [ "$rc" -ne 0 ]; then failed "platc disasm $src: expected exit 0, got $rc"; head -n 5 "$tmp/dis.err"; continue; fi
  if [ "${UPDATE:-}" = 1 ]; then cp "$tmp/dis.out" "$want"; fi
  if [ ! -f "$want" ]; then failed "platc disasm $src: expected a golden $want (UPDATE=1 writes it)"; continue; fi
  if cmp -s "$tmp/dis.out" "$want"; then ok; else
    failed "platc disasm $src: expected $want:"; diff "$want" "$tmp/dis.out" | head -n 20
  fi
  # the .platb's listing is the sources' (source lines included: they are still there)
  run disb build "$src" -o "$tmp/dis.platb"
  run disb disasm "$tmp/dis.platb"
  if cmp -s "$tmp/dis.out" "$tmp/disb.out"; then ok; else failed "platc disasm of the .platb of $src: expected the listing of its sources"; fi
done

# ---- docs/bytecode.md lists every instruction of vm/opcodes.def ---------------------------
for op in $(sed -n 's/^OP(\([A-Z_]*\),.*/\1/p' vm/opcodes.def); do
  if grep -qF "| \`$op\` |" docs/bytecode.md; then ok; else failed "docs/bytecode.md: expected a row for instruction $op of vm/opcodes.def"; fi
done

# ---- refused files --------------------------------------------------------------------------
# expect_refused FILE KIND: graph, disasm and build all exit 2, print nothing on
# stdout and "platc CMD: FILE: KIND: ..." on stderr.
expect_refused() {
  f=$1
  kind=$2
  for cmd in graph disasm build; do
    if [ "$cmd" = build ]; then run ref build "$f" -o "$tmp/rebuilt.platb"; else run ref "$cmd" "$f"; fi
    if [ "$rc" -ne 2 ]; then failed "platc $cmd $f: expected exit 2 for a refused file, got $rc"; head -n 3 "$tmp/ref.err"; continue; fi
    if [ -s "$tmp/ref.out" ]; then failed "platc $cmd $f: expected nothing on stdout"; continue; fi
    if grep -qF "platc $cmd: $f: $kind: " "$tmp/ref.err"; then ok; else
      failed "platc $cmd $f: expected 'platc $cmd: $f: $kind: ...' on stderr, got:"; head -n 3 "$tmp/ref.err"
    fi
  done
}

good=$tmp/examples_quickstart.platb
if [ -f "$good" ]; then
  size=$(wc -c <"$good")
  head -c $((size / 2)) "$good" >"$tmp/cut.platb"
  expect_refused "$tmp/cut.platb" truncated
  printf 'resource x: local.File {}\n' >"$tmp/source.platb"
  expect_refused "$tmp/source.platb" "not a .platb file"
  # a newer format version: the message says which version this platc reads
  { head -c 8 "$good"; printf '\143\000\000\000'; tail -c +13 "$good"; } >"$tmp/newer.platb"
  expect_refused "$tmp/newer.platb" unsupported
  run newer graph "$tmp/newer.platb"
  if grep -q "format version 99 is newer than this platc reads (1)" "$tmp/newer.err"; then ok; else
    failed "a newer .platb: expected 'format version 99 is newer than this platc reads (1)', got:"; head -n 2 "$tmp/newer.err"
  fi
  { cat "$good"; printf 'x'; } >"$tmp/trailing.platb"
  expect_refused "$tmp/trailing.platb" corrupt
  # a jump aimed out of main (tests/platb/tools/badjump.py): the verifier names it
  run hb build tests/platb/disasm/hello.plat -o "$tmp/hello.platb"
  if command -v python3 >/dev/null 2>&1 && out=$(python3 tests/platb/tools/badjump.py "$tmp/hello.platb" "$tmp/jump.platb"); then
    target=${out% *}
    size=${out#* }
    expect_refused "$tmp/jump.platb" corrupt
    run jump graph "$tmp/jump.platb"
    if grep -q "corrupt: jump target $target outside function 'main' ($size bytes), at pc " "$tmp/jump.err"; then ok; else
      failed "a jump out of main: expected 'jump target $target outside function 'main' ($size bytes)', got:"; head -n 2 "$tmp/jump.err"
    fi
  else
    failed "tests/platb/tools/badjump.py: expected it to aim a jump of main out of the function"
  fi
  # a missing file is exit 2 too
  run missing graph "$tmp/none.platb"
  if [ "$rc" -eq 2 ] && grep -q "cannot read" "$tmp/missing.err"; then ok; else failed "a missing .platb: expected exit 2 and 'cannot read', got $rc"; fi
  # a .platb with other paths is a usage mistake
  run two graph "$good" examples/quickstart
  if [ "$rc" -eq 2 ] && grep -q "give it alone" "$tmp/two.err"; then ok; else failed "a .platb with another path: expected exit 2 and 'give it alone', got $rc"; fi
fi

# ---- a stale module warns and runs --------------------------------------------------------
mkdir -p "$tmp/stale"
cp examples/quickstart/main.plat "$tmp/stale/main.plat"
(cd "$tmp/stale" && NO_COLOR=1 "$PLATC" build . -o app.platb >/dev/null 2>&1) || true
if [ -f "$tmp/stale/app.platb" ]; then
  (cd "$tmp/stale" && NO_COLOR=1 "$PLATC" graph app.platb >"$tmp/st1.out" 2>"$tmp/st1.err") || true
  if [ -s "$tmp/st1.err" ]; then failed "platc graph of a fresh .platb: expected no warning, got:"; head -n 3 "$tmp/st1.err"; else ok; fi
  printf '\n// changed\n' >>"$tmp/stale/main.plat"
  rc=0
  (cd "$tmp/stale" && NO_COLOR=1 "$PLATC" graph app.platb >"$tmp/st2.out" 2>"$tmp/st2.err") || rc=$?
  if [ "$rc" -eq 0 ] && grep -q "warning: app.platb was built from other sources" "$tmp/st2.err" &&
     cmp -s "$tmp/st1.out" "$tmp/st2.out"; then ok; else
    failed "platc graph of a stale .platb: expected exit 0, a warning and the same graph, got $rc:"; head -n 3 "$tmp/st2.err"
  fi
  rm "$tmp/stale/main.plat"
  (cd "$tmp/stale" && NO_COLOR=1 "$PLATC" graph app.platb >"$tmp/st3.out" 2>"$tmp/st3.err") || true
  if [ -s "$tmp/st3.err" ]; then failed "platc graph of a .platb without its sources: expected no warning, got:"; head -n 3 "$tmp/st3.err"; else ok; fi
else
  failed "platc build . in a copy of examples/quickstart: expected app.platb"
fi

# ---- build's own options ---------------------------------------------------------------------
run dflt build --help
if [ "$rc" -eq 0 ] && grep -q "NAME.platb" "$tmp/dflt.out"; then ok; else failed "platc build --help: expected exit 0 and the default output name"; fi
(cd "$tmp" && NO_COLOR=1 "$PLATC" build "$ROOT/examples/quickstart" >/dev/null 2>&1) || true
if [ -f "$tmp/quickstart.platb" ]; then ok; else failed "platc build examples/quickstart: expected quickstart.platb in the current folder"; fi
run stdout build "$ROOT/examples/quickstart" -o -
if [ "$rc" -eq 0 ] && cmp -s "$tmp/stdout.out" "$tmp/quickstart.platb"; then ok; else failed "platc build -o -: expected the module on stdout"; fi
run bad build --frobnicate
if [ "$rc" -eq 2 ] && grep -q "unknown option" "$tmp/bad.err"; then ok; else failed "platc build --frobnicate: expected exit 2 and 'unknown option'"; fi
printf 'let x: int = "no"\n' >"$tmp/err.plat"
run err build "$tmp/err.plat" -o "$tmp/err.platb"
if [ "$rc" -eq 1 ] && [ ! -f "$tmp/err.platb" ] && grep -q "error" "$tmp/err.err"; then ok; else
  failed "platc build of a program with errors: expected exit 1, the diagnostics and no file, got $rc"
fi

# ---- replay the fuzz target's seeds and regressions ---------------------------------------
lib=$O/libplat.a
if [ -f "$lib" ]; then
  san=""
  if nm "$lib" 2>/dev/null | grep -q '__asan_'; then
    san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  fi
  # shellcheck disable=SC2046,SC2086
  if ${CC:-cc} -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -Wall -Wextra -Werror $san \
       -I. -I"$O/gen" -o "$tmp/replay" tests/fuzz/replay.c tests/fuzz/fuzz_platb.c "$lib" \
       $(pkg-config --libs jansson libcurl libcrypto libpcre2-8 yaml-0.1 libutf8proc zlib 2>/dev/null) -lm \
       2>"$tmp/cc.log"; then
    n=$(sh tests/fuzz/seed.sh "$tmp/seeds" platb "$PLATC")
    rc=0
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 timeout 600 "$tmp/replay" "$tmp/seeds" >"$tmp/replay.out" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then ok; else
      failed "replaying $n fuzz_platb seeds and regressions: expected no crash, got exit $rc:"
      grep -v '^replay: .* bytes)$' "$tmp/replay.out" | head -n 30
      grep '^replay: .* bytes)$' "$tmp/replay.out" | tail -n 1
    fi
  else
    failed "building the fuzz_platb replay driver: expected it to build:"; head -n 20 "$tmp/cc.log"
  fi
fi

echo "platb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
