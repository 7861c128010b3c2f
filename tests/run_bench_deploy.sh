#!/bin/sh
# tests/run_bench_deploy.sh PLATC: the deploy benchmark works (not how fast: timings are
# never asserted).  bench/deploy/gen's two forms check clean, deploy exactly 3N files with
# the contents their references give, and plan `No changes.` afterwards; the harness
# ($(dirname PLATC)/bench/overhead) converges against its no-op provider and creates its
# baseline files; bench/deploy/run.sh at tiny sizes exits 0 and writes every table of its
# report with a figure in it.  Terraform is left out (no downloads, no minutes).
set -u

[ $# -eq 1 ] || { echo "usage: tests/run_bench_deploy.sh PLATC" >&2; exit 2; }
PLATC=$1
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
OVERHEAD=$(dirname "$PLATC")/bench/overhead
root=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-deploy-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset PLAT_PASSPHRASE
export NO_COLOR=1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

for form in unrolled loop; do
  d=$tmp/$form
  mkdir -p "$d"
  sh "$root/bench/deploy/gen" 4 "$form" > "$d/main.plat"
  if ! "$PLATC" check "$d/main.plat" > "$tmp/out" 2>&1; then bad "gen 4 $form does not check"; cat "$tmp/out"; continue; fi
  if ! (cd "$d" && "$PLATC" deploy --yes main.plat) > "$tmp/out" 2>&1; then bad "deploy of gen 4 $form failed"; tail -5 "$tmp/out"; continue; fi
  n=$(find "$d/out" -type f | wc -l | tr -d ' ')
  [ "$n" = 12 ] && ok || bad "gen 4 $form made $n files, not 12"
  # The DNS record holds the database file's sha256, resolved after deploy.
  sha=$(sha256sum "$d/out/svc3.db" | cut -c1-64)
  [ "$(cat "$d/out/svc3.dns")" = "svc3.db.example.org CNAME $sha" ] && ok || bad "$form: svc3.dns is not the database's sha256"
  [ "$(cat "$d/out/svc3.db")" = "database svc3_db owner=out/svc3.role" ] && ok || bad "$form: svc3.db is wrong"
  (cd "$d" && "$PLATC" plan main.plat) > "$tmp/out" 2>&1
  grep -q '^No changes\.' "$tmp/out" && ok || bad "$form: the plan after the deploy is not 'No changes.'"
done

if [ -x "$OVERHEAD" ]; then
  sh "$root/bench/gen" 5 unrolled > "$tmp/noop.plat"
  if PLAT_SCHEMA_PATH="$root/bench/schemas" "$OVERHEAD" engine "$tmp/noop.plat" --runs 1 --dir "$tmp" > "$tmp/out" 2>&1 &&
     grep -q '^resources=15 parallel=10 runs=1 .*us_per_resource=' "$tmp/out"; then ok
  else bad "overhead engine"; cat "$tmp/out"; fi
  if "$OVERHEAD" files 7 --runs 1 --dir "$tmp" > "$tmp/out" 2>&1 && grep -q '^files=7 ' "$tmp/out"; then ok
  else bad "overhead files"; cat "$tmp/out"; fi
  "$OVERHEAD" engine > /dev/null 2>&1; [ $? -eq 2 ] && ok || bad "overhead without arguments does not exit 2"
  if BENCH_DEPLOY_SIZES="2 4" BENCH_DEPLOY_RUNS=1 BENCH_PLAN_RESOURCES=30 BENCH_TF_DEPLOY_SIZES= \
     BENCH_DEPLOY_OUT="$tmp/deploy.md" sh "$root/bench/deploy/run.sh" "$PLATC" > "$tmp/out" 2>&1; then
    tmpfs='^| disk | 4 | 12 | '
    [ -d /dev/shm ] && [ -w /dev/shm ] && tmpfs='^| tmpfs | 4 | 12 | '
    for want in '^| 4 | 12 | [0-9.]* m\?s | [0-9.]* m\?s | [0-9.]* m\?s | [0-9.]* | [0-9.]* m\?s |$' \
                "$tmpfs" '^| disk | 4 | 12 | ' 'with 30 local.Files in state' \
                '^Growth, N=4 / N=2'; do
      grep -q -- "$want" "$tmp/deploy.md" && ok || { bad "report lacks /$want/"; cat "$tmp/deploy.md"; }
    done
  else
    bad "bench/deploy/run.sh failed"; tail -20 "$tmp/out"
  fi
else
  bad "no harness at $OVERHEAD (make O=DIR DIR/bench/overhead)"
fi

echo "bench_deploy: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
