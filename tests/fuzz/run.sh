#!/bin/sh
# Run a libFuzzer target.  Usage: tests/fuzz/run.sh O SECONDS [TARGET]
# TARGET is fuzz_check (the default: the front end) or fuzz_platb (the .platb loader,
# verifier and VM; its seeds are the examples compiled by O/platc, its folders O/*-platb,
# its regressions tests/fuzz/platb/regressions/).
# Seeds O/seeds (tests/fuzz/seed.sh), keeps the growing corpus in O/corpus across runs
# (FUZZ_CORPUS=DIR to use another, e.g. an empty one for a short run from the seeds only),
# and writes crashing, leaking or slow inputs to O/crashes/.  Exits non-zero on any crash,
# leak, timeout or out-of-memory, naming the new artifacts; commit a reduced copy of each
# under tests/fuzz/regressions/, named after what it found.
set -eu
if [ $# -ne 2 ] && [ $# -ne 3 ]; then
  echo "usage: tests/fuzz/run.sh O SECONDS [fuzz_check|fuzz_platb]" >&2
  exit 2
fi
O=$1
SECS=$2
TARGET=${3:-fuzz_check}
bin=$O/$TARGET
if [ ! -x "$bin" ]; then
  echo "fuzz/run: expected $bin (tests/fuzz/build.sh $O), found none" >&2
  exit 1
fi
sfx=""
dict="-dict=tests/fuzz/plat.dict"
if [ "$TARGET" = fuzz_platb ]; then
  sfx="-platb"
  dict=""
fi
seeds=$O/seeds$sfx
corpus=${FUZZ_CORPUS:-$O/corpus$sfx}
crashes=$O/crashes$sfx
log=$O/fuzz$sfx.log
rm -rf "$seeds"
mkdir -p "$corpus" "$crashes"
if [ "$TARGET" = fuzz_platb ]; then
  if [ ! -x "$O/platc" ]; then
    echo "fuzz/run: expected $O/platc to compile the seeds (make fuzz builds it), found none" >&2
    exit 1
  fi
  nseeds=$(sh tests/fuzz/seed.sh "$seeds" platb "$O/platc")
else
  nseeds=$(sh tests/fuzz/seed.sh "$seeds")
fi
if [ "$nseeds" -eq 0 ]; then
  echo "fuzz/run: expected seeds from examples/, tests/check/, tests/fmt/, found none" >&2
  exit 1
fi
ls "$crashes" >"$O/crashes$sfx.before"

echo "fuzz/run: $SECS s on $bin, $nseeds seeds, corpus $corpus, log $log"
# UBSan in libplat.a was compiled recoverable: make every report fatal.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
# -entropic=0: with ~70,000 features per input (the parser's tables, the schemas checked
# on every run), LLVM 14's entropic schedule spends 75% of the time in
# UpdateFeatureFrequency; without it we run 4x the inputs and reach more coverage in 30 s.
rc=0
# shellcheck disable=SC2086
"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -detect_leaks=1 -entropic=0 \
  $dict -artifact_prefix="$crashes/" -print_final_stats=1 \
  "$corpus" "$seeds" >"$log" 2>&1 || rc=$?

# Summary: executions, coverage, corpus, and anything new in crashes/.
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*\(corp: [0-9/]*[a-zA-Z]*\).*/\1 \2 \3/p')
ls "$crashes" >"$O/crashes$sfx.after"
new=$(comm -13 "$O/crashes$sfx.before" "$O/crashes$sfx.after" | sed "s|^|$crashes/|")
echo "fuzz/run: exit $rc, ${execs:-?} executions, ${cov:-no coverage line}"
if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
  grep -E 'ERROR|SUMMARY|runtime error|fuzz_check:|fuzz_platb:|Test unit written|^    #[0-9]+ ' "$log" | head -n 60
  echo "fuzz/run: FAIL: the fuzzer found a problem (exit $rc); artifacts:"
  for f in $new; do echo "  $f"; done
  echo "fuzz/run: reproduce with: $bin <artifact>   (full log: $log)"
  exit 1
fi
