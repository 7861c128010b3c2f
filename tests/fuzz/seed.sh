#!/bin/sh
# Fill a seed-corpus folder for the fuzz target.  Usage: tests/fuzz/seed.sh DIR
# Seeds: every .plat of examples/, tests/check/ and tests/fmt/; the provider schemas
# (prefixed with byte 0x01, which puts fuzz_check in schema mode); tests/fuzz/seeds/ and
# tests/fuzz/regressions/ as they are.  Prints the number of seeds.  Run from the repo root.
set -eu
dir=$1
mkdir -p "$dir"
n=0
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
