#!/bin/sh
# The fuzzer's share of the test suite.  Usage: tests/run_fuzz_smoke.sh O
# 1. Always: build tests/fuzz/replay.c + fuzz_check.c with the normal compiler against
#    O/libplat.a (sanitized when O is a SAN=1 build) and replay every seed and every
#    committed crash repro in tests/fuzz/regressions/ through the fuzz target.
# 2. When clang with libFuzzer works: build libplat for fuzzing in O/fuzz and run the
#    fuzzer for FUZZ_SMOKE_SECONDS (default 30) from the seed corpus alone (a fresh corpus
#    each time, so the run explores instead of replaying what earlier runs found).
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_fuzz_smoke.sh O" >&2
  exit 2
fi
O=$1
SECS=${FUZZ_SMOKE_SECONDS:-30}
CC=${CC:-cc}
lib=$O/libplat.a

pass=0
fail=0
failed() { echo "FAIL $*"; fail=$((fail + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-fuzz-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- 1. replay ------------------------------------------------------------------------
if [ ! -f "$lib" ]; then
  failed "fuzz-smoke: expected $lib, found none"
else
  san=""
  # Match the library: a sanitized libplat needs the sanitizer runtimes at link time.
  if nm "$lib" 2>/dev/null | grep -q '__asan_'; then
    san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  fi
  defs=""
  if nm "$lib" 2>/dev/null | grep -q ' T plat_check_source$'; then
    defs="-DPLAT_FUZZ_CHECK_SOURCE"
  else
    echo "fuzz-smoke: note: plat_check_source is not in $lib yet; checking through a temporary file"
  fi
  replay=$O/fuzz-replay
  # shellcheck disable=SC2046
  if ! $CC -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -Wall -Wextra -Werror \
    $san $defs -I. -I"$O/gen" $(pkg-config --cflags jansson) -o "$replay" \
    tests/fuzz/replay.c tests/fuzz/fuzz_check.c "$lib" \
    $(make -s --no-print-directory print-libs) 2>"$tmp/cc.log"; then
    cat "$tmp/cc.log"
    failed "fuzz-smoke replay: expected the replay driver to build with $CC, it did not"
  else
    nseeds=$(sh tests/fuzz/seed.sh "$tmp/seeds")
    rc=0
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 timeout 600 "$replay" "$tmp/seeds" \
      >"$tmp/replay.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      # The last "replay: <file>" line names the input that failed.
      grep -v '^replay: .* bytes)$' "$tmp/replay.log" | head -n 60
      last=$(grep '^replay: .* bytes)$' "$tmp/replay.log" | tail -n 1)
      failed "fuzz-smoke replay: expected $nseeds seeds and regressions to replay cleanly, got exit $rc at '${last#replay: }'"
    else
      echo "fuzz-smoke: $(tail -n 1 "$tmp/replay.log") ($nseeds seeds and regressions)"
      pass=$((pass + 1))
    fi
  fi
fi

# ---- 2. a short libFuzzer run ---------------------------------------------------------
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$tmp/probe.c"
if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz-smoke: clang not found: libFuzzer run skipped (make deps installs it)"
elif ! clang -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" >"$tmp/probe.log" 2>&1; then
  echo "fuzz-smoke: clang cannot link libFuzzer: run skipped (install libclang-rt-dev)"
  head -n 5 "$tmp/probe.log"
else
  FO=$O/fuzz
  if ! ${MAKE:-make} --no-print-directory O="$FO" CC=clang \
    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" "$FO/libplat.a" >"$tmp/make.log" 2>&1; then
    tail -n 30 "$tmp/make.log"
    failed "fuzz-smoke libFuzzer: expected libplat to build with clang in $FO, it did not"
  elif ! sh tests/fuzz/build.sh "$FO" >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    failed "fuzz-smoke libFuzzer: expected tests/fuzz/build.sh $FO to succeed, it did not"
  elif ! FUZZ_CORPUS="$tmp/corpus" sh tests/fuzz/run.sh "$FO" "$SECS"; then
    failed "fuzz-smoke libFuzzer: expected no crash, leak or timeout in $SECS s, got one (see above)"
  else
    pass=$((pass + 1))
  fi
fi

echo "fuzz-smoke: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
