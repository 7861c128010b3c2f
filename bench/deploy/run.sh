#!/bin/sh
# bench/deploy/run.sh PLATC: the deploy benchmark (issue 4), run by bench/run.sh after the
# `platc check` figures, or alone.  Measures, as medians of several runs:
#   - `platc deploy --yes` of bench/deploy/gen's workload (N services = 3N local.Files),
#     beside a baseline measured in the same run: the same number of files created through
#     the `local` provider by as many threads, without the engine (bench/deploy/overhead
#     files); then `platc plan` from an empty state and with everything deployed;
#   - the engine's overhead per resource against an in-process no-op provider
#     (bench/deploy/overhead engine), journal on the disk and on tmpfs;
#   - `platc plan` with BENCH_PLAN_RESOURCES resources in state and nothing changed;
#   - with `terraform` on PATH, bench/gen's terraform_data form of the same shape: plan
#     from an empty state, apply, no-change plan, each under a timeout.
# Writes bench/results/deploy.md.  Never asserts on time; exits 1 only when a deploy did
# not converge or a plan was not what it must be.
set -eu

[ $# -eq 1 ] || { echo "usage: sh bench/deploy/run.sh PLATC" >&2; exit 2; }
PLATC=$1
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
[ -x "$PLATC" ] || { echo "bench/deploy: '$PLATC' is not an executable" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
bench=$(dirname "$here")
OVERHEAD=${BENCH_OVERHEAD:-$(dirname "$PLATC")/bench/overhead}

SIZES=${BENCH_DEPLOY_SIZES-"1000 10000"}       # services; 3 files each
RUNS=${BENCH_DEPLOY_RUNS:-3}
PLAN_RES=${BENCH_PLAN_RESOURCES-100000}        # resources in state for the no-change plan
TF_SIZES=${BENCH_TF_DEPLOY_SIZES-"100 1000"}   # services; empty: no terraform
TF_TIMEOUT=${BENCH_TF_TIMEOUT:-900}            # seconds per terraform command
OUT=${BENCH_DEPLOY_OUT:-$bench/results/deploy.md}
PARALLEL=10                                    # platc's default --parallel, and terraform's

export PLAT_SCHEMA_PATH="$bench/schemas${PLAT_SCHEMA_PATH:+:$PLAT_SCHEMA_PATH}"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 NO_COLOR=1
# Each project gets its key file: a passphrase would add its key derivation (~0.3 s) to
# every command, which is not what a no-change plan of a large state costs.
unset PLAT_PASSPHRASE

tmp=$(mktemp -d "${TMPDIR:-/tmp}/platc-deploy-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
failed=0
rows=$tmp/rows      # name<TAB>N<TAB>resources<TAB>ms
: > "$rows"

ms_now() { date +%s%N | awk '{ printf "%.1f", $1 / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$rows"; }
say() { printf '  %-34s N=%-6s %8s resources %10s ms\n' "$1" "$2" "$3" "$4"; }

# timed DIR CMD...: run CMD in DIR, print its wall time in ms; "FAIL" when it failed.
timed() {
  d=$1; shift
  t0=$(ms_now)
  if (cd "$d" && "$@") > "$tmp/out" 2>&1; then
    t1=$(ms_now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
  else
    echo FAIL
  fi
}

fail() { echo "bench/deploy: $*" >&2; tail -n 8 "$tmp/out" >&2; failed=1; }

echo "platc deploy: $($PLATC --version | head -n 1), median of $RUNS runs, --parallel $PARALLEL"
for n in $SIZES; do
  res=$((3 * n))
  sh "$here/gen" "$n" unrolled > "$tmp/main.plat"
  : > "$tmp/d"; : > "$tmp/pe"; : > "$tmp/pn"; : > "$tmp/b"
  r=0
  while [ "$r" -lt "$RUNS" ]; do
    p=$tmp/p$n.$r
    mkdir -p "$p"
    cp "$tmp/main.plat" "$p/main.plat"
    t=$(timed "$p" "$PLATC" plan main.plat)
    [ "$t" = FAIL ] && fail "plan from empty failed (N=$n)" || echo "$t" >> "$tmp/pe"
    t=$(timed "$p" "$PLATC" deploy --yes main.plat)
    if [ "$t" = FAIL ]; then fail "deploy failed (N=$n)"; else echo "$t" >> "$tmp/d"; fi
    got=$(find "$p/out" -type f | wc -l | tr -d ' ')
    [ "$got" = "$res" ] || fail "deploy made $got files, not $res (N=$n)"
    t=$(timed "$p" "$PLATC" plan main.plat)
    if [ "$t" = FAIL ] || ! grep -q '^No changes\.' "$tmp/out"; then
      fail "the plan after the deploy is not 'No changes.' (N=$n)"
    else
      echo "$t" >> "$tmp/pn"
    fi
    rm -rf "$p"
    # The baseline in the same run, right after: the files alone, no engine.
    if [ -x "$OVERHEAD" ]; then
      "$OVERHEAD" files "$res" --runs 1 --parallel "$PARALLEL" --dir "$tmp" > "$tmp/out" 2>&1 &&
        sed -n 's/.*wall_ms=\([0-9.]*\).*/\1/p' "$tmp/out" >> "$tmp/b" || fail "baseline failed"
    fi
    r=$((r + 1))
  done
  for k in pe:platc-plan-empty d:platc-deploy pn:platc-plan-nochange b:baseline-files; do
    m=$(median < "$tmp/${k%%:*}")
    row "${k#*:}" "$n" "$res" "$m"
    say "${k#*:}" "$n" "$res" "$m"
  done
done

# The engine against a no-op provider: bench/gen's own workload (Role/Database/Record).
if [ -x "$OVERHEAD" ]; then
  for n in $SIZES; do
    sh "$bench/gen" "$n" unrolled > "$tmp/noop.plat"
    for where in disk tmpfs; do
      d=$tmp
      if [ "$where" = tmpfs ]; then
        [ -d /dev/shm ] && [ -w /dev/shm ] || continue
        d=$(mktemp -d /dev/shm/platc-bench.XXXXXX)
      fi
      if "$OVERHEAD" engine "$tmp/noop.plat" --runs "$RUNS" --dir "$d" > "$tmp/oh" 2> "$tmp/out"; then
        cat "$tmp/oh" | sed "s/^/  engine, journal on $where, N=$n: /"
        printf 'engine-%s\t%s\t%s\t%s\n' "$where" "$n" "$((3 * n))" "$(cat "$tmp/oh")" >> "$tmp/ohrows"
      else
        fail "the engine harness failed (N=$n, $where)"
      fi
      [ "$where" = tmpfs ] && rm -rf "$d"
    done
  done
else
  echo "bench/deploy: no harness at $OVERHEAD (make O=DIR DIR/bench/overhead); no engine figures" >&2
fi

# platc plan with PLAN_RES resources in state and nothing changed.
if [ -n "$PLAN_RES" ]; then
  n=$(( (PLAN_RES + 2) / 3 ))
  p=$tmp/plan100k
  mkdir -p "$p"
  sh "$here/gen" "$n" unrolled > "$p/main.plat"
  t=$(timed "$p" "$PLATC" deploy --yes main.plat)
  if [ "$t" = FAIL ]; then
    fail "the deploy of $((3 * n)) resources failed"
  else
    row platc-deploy-once "$n" "$((3 * n))" "$t"
    say platc-deploy-once "$n" "$((3 * n))" "$t"
    : > "$tmp/pl"
    r=0
    while [ "$r" -lt "$RUNS" ]; do
      t=$(timed "$p" "$PLATC" plan main.plat)
      if [ "$t" = FAIL ] || ! grep -q '^No changes\.' "$tmp/out"; then
        fail "the plan of $((3 * n)) resources is not 'No changes.'"
      else
        echo "$t" >> "$tmp/pl"
      fi
      r=$((r + 1))
    done
    m=$(median < "$tmp/pl")
    row platc-plan-nochange-big "$n" "$((3 * n))" "$m"
    say platc-plan-nochange-big "$n" "$((3 * n))" "$m"
  fi
  rm -rf "$p"
fi

# Terraform, the same shapes with terraform_data: one run each (minutes at 3,000).
tfver=""
if [ -n "$TF_SIZES" ] && command -v terraform >/dev/null 2>&1; then
  tfver=$(terraform version 2>/dev/null | head -n 1)
  echo "terraform: $tfver, 1 run each, timeout ${TF_TIMEOUT}s per command"
  for n in $TF_SIZES; do
    d=$tmp/tf$n
    mkdir -p "$d"
    sh "$bench/gen" "$n" terraform > "$d/main.tf"
    if ! (cd "$d" && terraform init -input=false -no-color) > "$tmp/out" 2>&1; then
      fail "terraform init failed"; continue
    fi
    for step in plan-empty apply plan-nochange; do
      case $step in
        plan-empty) t=$(timed "$d" timeout "$TF_TIMEOUT" terraform plan -input=false -no-color -parallelism=$PARALLEL -out=tf.plan) ;;
        apply) t=$(timed "$d" timeout "$TF_TIMEOUT" terraform apply -input=false -no-color -parallelism=$PARALLEL tf.plan) ;;
        plan-nochange) t=$(timed "$d" timeout "$TF_TIMEOUT" terraform plan -input=false -no-color -parallelism=$PARALLEL -detailed-exitcode) ;;
      esac
      if [ "$t" = FAIL ]; then
        fail "terraform $step failed or passed ${TF_TIMEOUT}s (N=$n)"; t=-
        [ "$step" = plan-nochange ] || break
      fi
      row "terraform-$step" "$n" "$((3 * n))" "$t"
      say "terraform-$step" "$n" "$((3 * n))" "$t"
    done
    rm -rf "$d"
  done
elif [ -n "$TF_SIZES" ]; then
  echo "terraform: not on PATH; no comparison"
fi

# The report.
load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
[ -f "$tmp/ohrows" ] || : > "$tmp/ohrows"
{
  echo "# platc deploy benchmark"
  echo
  echo "Measured by \`make bench\` (bench/deploy/run.sh) on $(date -u +%Y-%m-%d): $(nproc) cores," \
       "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)," \
       "$(df -T "${TMPDIR:-/tmp}" 2>/dev/null | awk 'NR == 2 { print $2 }') under ${TMPDIR:-/tmp}."
  echo "platc: \`$($PLATC --version | head -n 1)\`, --parallel $PARALLEL; median of $RUNS runs" \
       "(Terraform: one run${tfver:+, $tfver})."
  echo
  awk -F'\t' -v load="$load1" -v cores="$(nproc)" -v ohfile="$tmp/ohrows" -v plan_res="$PLAN_RES" '
  function dur(m) { return m == "-" || m == "" ? "-" : m < 1000 ? sprintf("%.0f ms", m) : sprintf("%.2f s", m / 1000) }
  function ratio(a, b) { return (a == "" || b == "" || a == "-" || b == "-" || b <= 0) ? "-" : sprintf("%.1f", a / b) }
  { T[$1 "/" $2] = $4; R[$2] = $3; if (!($2 in seen)) { seen[$2] = 1; ns[++nn] = $2 } }
  END {
    print "## Deploy of bench/deploy/gen (3 local.Files per service)"
    print ""
    print "| N services | files | plan from empty | deploy | files alone (baseline) | deploy / baseline | no-change plan |"
    print "|--:|--:|--:|--:|--:|--:|--:|"
    for (i = 1; i <= nn; i++) { n = ns[i]; if (!(("platc-deploy/" n) in T)) continue
      printf "| %d | %d | %s | %s | %s | %s | %s |\n", n, R[n], dur(T["platc-plan-empty/" n]),
        dur(T["platc-deploy/" n]), dur(T["baseline-files/" n]),
        ratio(T["platc-deploy/" n], T["baseline-files/" n]), dur(T["platc-plan-nochange/" n]) }
    print ""
    first = ""
    for (i = 1; i <= nn; i++) { n = ns[i]; if (!(("platc-deploy/" n) in T)) continue
      if (first == "") { first = n; continue }
      printf "Growth, N=%d / N=%d (%.0fx the work): deploy x%s, baseline x%s, no-change plan x%s.\n",
        n, first, n / first, ratio(T["platc-deploy/" n], T["platc-deploy/" first]),
        ratio(T["baseline-files/" n], T["baseline-files/" first]),
        ratio(T["platc-plan-nochange/" n], T["platc-plan-nochange/" first]) }
    if (("platc-deploy/1000") in T)
      printf "\nTarget: 3,000 local.Files deployed in under 3 s. Measured: %s: %s.\n",
        dur(T["platc-deploy/1000"]), (T["platc-deploy/1000"] < 3000 ? "met" : "missed")
    print ""
    print "## Engine overhead against a no-op provider (bench/deploy/overhead engine)"
    print ""
    print "bench/gen'\''s workload (Role, Database, Record) with an in-process provider that answers at once:"
    print "compile excluded; plan + apply as `platc deploy` runs them (evaluation, plan, executor,"
    print "journal, state saves, outputs), then a second run plans with everything in state."
    print ""
    print "| journal on | N services | resources | plan + apply | per resource (wall) | per resource (CPU) | open (load state) | no-change plan |"
    print "|---|--:|--:|--:|--:|--:|--:|--:|"
    while ((getline line < ohfile) > 0) {
      split(line, f, "\t"); kv = f[4]; delete V
      m = split(kv, parts, " "); for (k = 1; k <= m; k++) { split(parts[k], q, "="); V[q[1]] = q[2] }
      where = f[1]; sub(/^engine-/, "", where)
      printf "| %s | %d | %d | %s | %.0f us | %.0f us | %s | %s |\n", where, f[2], f[3], dur(V["total_ms"]),
        V["us_per_resource"], V["cpu_us_per_resource"], dur(V["open_ms"]), dur(V["noop_plan_ms"])
      if (f[2] + 0 >= bestn + 0) { bestn = f[2]; C[where] = V["cpu_us_per_resource"]; W[where] = V["us_per_resource"] }
    }
    if (bestn != "")
      printf "\nTarget: under 50 us per resource. Measured at N=%d: CPU %.0f us (journal on disk), %.0f us (tmpfs); wall %.0f us, %.0f us: %s.\n",
        bestn, C["disk"], C["tmpfs"], W["disk"], W["tmpfs"], (C["disk"] < 50 ? "met" : "missed")
    for (k in T) if (k ~ /^platc-plan-nochange-big\//) { split(k, q, "/"); big = q[2] }
    if (big != "") {
      print ""
      print "## No-change plan of a large state"
      print ""
      printf "`platc plan` with %d local.Files in state, nothing changed (the deploy that made them: %s): %s. Target: under 1 s: %s.\n",
        R[big], dur(T["platc-deploy-once/" big]), dur(T["platc-plan-nochange-big/" big]),
        (T["platc-plan-nochange-big/" big] < 1000 ? "met" : "missed")
    }
    tf = 0
    for (i = 1; i <= nn; i++) { n = ns[i]; if (!(("terraform-plan-empty/" n) in T)) continue
      if (!tf++) {
        print ""
        print "## Terraform, same shapes (terraform_data), one run"
        print ""
        print "Terraform / platc: each Terraform time divided by platc'\''s for the same step and N (\"-\": platc did not run that N)."
        print ""
        print "| N services | resources | plan from empty | apply | no-change plan | plan / platc | apply / platc deploy | no-change plan / platc |"
        print "|--:|--:|--:|--:|--:|--:|--:|--:|"
      }
      printf "| %d | %d | %s | %s | %s | %s | %s | %s |\n", n, R[n], dur(T["terraform-plan-empty/" n]),
        dur(T["terraform-apply/" n]), dur(T["terraform-plan-nochange/" n]),
        ratio(T["terraform-plan-empty/" n], T["platc-plan-empty/" n]),
        ratio(T["terraform-apply/" n], T["platc-deploy/" n]),
        ratio(T["terraform-plan-nochange/" n], T["platc-plan-nochange/" n])
    }
    if (load + 0 > cores + 0)
      printf "\nNote: the load average was %s on %d cores at the end of the run: other work competed for the CPU and the disk, so times are inflated; the deploy / baseline ratio is the steadier figure.\n", load, cores
  }' "$rows"
} > "$tmp/report.md"
echo
cat "$tmp/report.md"
mkdir -p "$(dirname "$OUT")"
cp "$tmp/report.md" "$OUT"
echo
echo "written: $OUT"
exit "$failed"
