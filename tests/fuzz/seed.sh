#!/bin/sh
# Fill a seed-corpus folder for the fuzz target.  Usage: tests/fuzz/seed.sh DIR
# Seeds: every .plat of examples/, tests/check/ and tests/fmt/; the provider schemas
# (prefixed with byte 0x01, which puts fuzz_check in schema mode); tests/fuzz/seeds/ and
# tests/fuzz/regressions/ as they are.  Prints the number of seeds.  Run from the repo root.
#
# tests/fuzz/seed.sh DIR platb PLATC fills DIR for fuzz_platb instead: every example and
# every tests/platb/*.plat compiled by PLATC (`platc build`), bytecode seeds for its code
# mode (tests/fuzz/platb/codeseeds.py), and tests/fuzz/platb/'s regressions as they are.
set -eu
dir=$1
mkdir -p "$dir"
n=0
if [ "${2:-}" = platb ]; then
  platc=$3
  for src in $(find examples -mindepth 1 -maxdepth 1 -type d 2>/dev/null | LC_ALL=C sort) \
             $(find tests/platb -name "*.plat" -type f 2>/dev/null | LC_ALL=C sort); do
    out="$dir/$(printf '%s' "$src" | tr '/' '_').platb"
    if "$platc" build "$src" -o "$out" >/dev/null 2>&1; then n=$((n + 1)); fi
  done
  # bytecode seeds for the template module (fuzz_platb's code mode)
  if command -v python3 >/dev/null 2>&1; then
    n=$((n + $(python3 tests/fuzz/platb/codeseeds.py "$dir")))
  fi
  for f in tests/fuzz/platb/*/*; do
    [ -f "$f" ] || continue
    cp "$f" "$dir/$(printf '%s' "$f" | tr '/' '_')"
    n=$((n + 1))
  done
  echo "$n"
  exit 0
fi
for f in $(find examples tests/check tests/fmt -name '*.plat' -type f 2>/dev/null | LC_ALL=C sort); do
  cp "$f" "$dir/$(printf '%s' "$f" | tr '/' '_')"
  n=$((n + 1))
done
for f in providers/schemas/*.plat; do
  [ -f "$f" ] || continue
  { printf '\001'; cat "$f"; } >"$dir/schema_${f##*/}"
  n=$((n + 1))
done
for f in tests/fuzz/seeds/* tests/fuzz/regressions/*; do
  [ -f "$f" ] || continue
  cp "$f" "$dir/$(printf '%s' "$f" | tr '/' '_')"
  n=$((n + 1))
done
echo "$n"
