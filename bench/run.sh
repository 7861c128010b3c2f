#!/bin/sh
# bench/run.sh PLATC: time `platc check` on generated programs (bench/gen) of 1,000, 10,000
# and 100,000 services, unrolled and as keyed copies of a component; report the median
# time, lines per second, peak memory and how the figures grow with N; and, when
# `terraform` is on PATH, time `terraform validate` on the same configuration written as
# terraform_data blocks.  Prints a table and writes it to bench/results/latest.md.
# Knobs (environment): BENCH_SIZES, BENCH_FORMS, BENCH_RUNS, BENCH_TF_SIZES, BENCH_TF_RUNS.
# Never asserts on time: the targets are printed beside the figures, not enforced.
set -eu

[ $# -eq 1 ] || { echo "usage: sh bench/run.sh PLATC" >&2; exit 2; }
PLATC=$1
[ -x "$PLATC" ] || { echo "bench: '$PLATC' is not an executable; build it first (make)" >&2; exit 2; }
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac

here=$(cd "$(dirname "$0")" && pwd)
SIZES=${BENCH_SIZES:-"1000 10000 100000"}
FORMS=${BENCH_FORMS:-"unrolled loop"}
RUNS=${BENCH_RUNS:-5}
TF_SIZES=${BENCH_TF_SIZES-"1000 10000"}   # empty: skip terraform
TF_RUNS=${BENCH_TF_RUNS:-1}
# The programs say `use bench`: its schema is in bench/schemas/.
PLAT_SCHEMA_PATH="$here/schemas${PLAT_SCHEMA_PATH:+:$PLAT_SCHEMA_PATH}"
export PLAT_SCHEMA_PATH
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1   # no update checks from terraform

tmp=$(mktemp -d "${TMPDIR:-/tmp}/platc-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Peak memory comes from GNU time; install the Debian package when it is missing.
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
  echo "bench: installing the Debian package 'time' (for peak memory)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  { $SUDO apt-get install -y -qq time >/dev/null 2>&1 ||
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time >/dev/null; }; } ||
    echo "bench: could not install 'time'; peak memory is not measured" >&2
fi

# measure RUNS CMD...: run CMD RUNS times and print "WALL_MS CPU_MS PEAK_KIB": the median
# wall-clock time, the CPU time (user + system, which a busy machine inflates far less than
# wall time) and the largest peak RSS.  With hyperfine installed, wall and CPU times are
# its median and mean, and one more run under GNU time gives the memory; without it, each
# run is timed with `date +%s%N` under GNU time, and CPU is the median.  "-": not measured.
measure() {
  runs=$1; shift
  if command -v hyperfine >/dev/null 2>&1 &&
     hyperfine -N -i --runs "$runs" --warmup 1 --style none \
       --export-csv "$tmp/hf.csv" -- "$*" >/dev/null 2>&1; then
    rss=-
    if [ -x "$TIME" ]; then
      "$TIME" -f '%M' -o "$tmp/t" "$@" >/dev/null 2>&1 || true
      rss=$(tail -n 1 "$tmp/t")
    fi
    # CSV columns: command,mean,stddev,median,user,system,min,max (seconds)
    awk -F, -v rss="$rss" 'NR == 2 { printf "%.1f %.0f %s\n", $4 * 1000, ($5 + $6) * 1000, rss }' "$tmp/hf.csv"
    return
  fi
  : > "$tmp/m"
  i=0
  while [ "$i" -lt "$runs" ]; do
    t0=$(date +%s%N)
    if [ -x "$TIME" ]; then
      "$TIME" -f '%U %S %M' -o "$tmp/t" "$@" >/dev/null 2>&1 || true
    else
      "$@" >/dev/null 2>&1 || true
      echo "- - -" > "$tmp/t"
    fi
    t1=$(date +%s%N)
    echo "$((t1 - t0)) $(tail -n 1 "$tmp/t")" >> "$tmp/m"
    i=$((i + 1))
  done
  awk '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { w[NR] = $1 / 1e6; if ($2 == "-") nocpu = 1; else c[NR] = ($2 + $3) * 1000
      if ($4 != "-" && $4 + 0 > rss) rss = $4 + 0 }
    END { printf "%.1f %s %s\n", median(w, NR), nocpu ? "-" : sprintf("%.0f", median(c, NR)), rss ? rss : "-" }' "$tmp/m"
}

# Rows: tool form N resources lines wall_ms cpu_ms kib status
rows=$tmp/rows
: > "$rows"
failed=0

echo "platc check: $($PLATC --version 2>/dev/null | head -n 1), $RUNS runs each, median"
for form in $FORMS; do
  for n in $SIZES; do
    f=$tmp/$form-$n.plat
    sh "$here/gen" "$n" "$form" > "$f"
    lines=$(wc -l < "$f" | tr -d ' ')
    # One run for the exit status and the diagnostics (it also warms the page cache).
    status=ok
    if ! "$PLATC" check "$f" > "$tmp/out" 2>&1; then
      status=FAILED
      failed=1
      echo "bench: platc check failed on $form N=$n; first lines:" >&2
      head -n 12 "$tmp/out" >&2
    fi
    set -- $(measure "$RUNS" "$PLATC" check "$f")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' platc "$form" "$n" $((3 * n)) "$lines" "$1" "$2" "$3" "$status" >> "$rows"
    printf '  %-9s N=%-7s %9s ms wall %9s ms cpu %9s KiB  %s\n' "$form" "$n" "$1" "$2" "$3" "$status"
    rm -f "$f"
  done
done

if [ -n "$TF_SIZES" ] && command -v terraform >/dev/null 2>&1; then
  tfver=$(terraform version 2>/dev/null | head -n 1)
  echo "terraform validate: $tfver, $TF_RUNS run(s) each"
  for n in $TF_SIZES; do
    d=$tmp/tf-$n
    mkdir -p "$d"
    sh "$here/gen" "$n" terraform > "$d/main.tf"
    lines=$(wc -l < "$d/main.tf" | tr -d ' ')
    status=ok
    (cd "$d" && terraform init -input=false -no-color > "$tmp/tfinit" 2>&1) || {
      status=FAILED; echo "bench: terraform init failed:" >&2; tail -n 5 "$tmp/tfinit" >&2; }
    if [ "$status" = ok ]; then
      (cd "$d" && terraform validate -no-color > "$tmp/tfout" 2>&1) || {
        status=FAILED; echo "bench: terraform validate failed:" >&2; tail -n 5 "$tmp/tfout" >&2; }
    fi
    set -- $(cd "$d" && measure "$TF_RUNS" terraform validate -no-color)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' terraform unrolled "$n" $((3 * n)) "$lines" "$1" "$2" "$3" "$status" >> "$rows"
    printf '  %-9s N=%-7s %9s ms wall %9s ms cpu %9s KiB  %s\n' terraform "$n" "$1" "$2" "$3" "$status"
    rm -rf "$d"
  done
else
  tfver=""
  [ -n "$TF_SIZES" ] && echo "terraform: not on PATH; no comparison"
fi

# The report: one table, then growth (ideal 10.0 for a tenfold N), the comparison with
# terraform and the targets.  Written as Markdown; the terminal gets the same text.
load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
report=$tmp/report.md
awk -F'\t' -v tfver="$tfver" -v load="$load1" -v cores="$(nproc)" '
function human(x) { return x >= 1e6 ? sprintf("%.2fM", x / 1e6) : x >= 1e3 ? sprintf("%.1fk", x / 1e3) : sprintf("%.0f", x) }
function mem(k) { return k == "-" ? "-" : k >= 1048576 ? sprintf("%.2f GiB", k / 1048576) : sprintf("%.1f MiB", k / 1024) }
function dur(m) { return m == "-" ? "-" : m < 1000 ? sprintf("%.1f ms", m) : sprintf("%.2f s", m / 1000) }
function cpudur(m) { return (m != "-" && m + 0 < 10) ? "< 10 ms" : dur(m) }   # GNU time counts in 10 ms
function ratio(a, b, fmt) { return (a == "-" || b == "-" || b <= 0) ? "-" : sprintf(fmt, a / b) }
{ tool[NR] = $1; form[NR] = $2; n[NR] = $3; res[NR] = $4; lines[NR] = $5
  ms[NR] = $6; cpu[NR] = $7; kib[NR] = $8; st[NR] = $9
  key = $1 "/" $2 "/" $3; T[key] = $6; C[key] = $7; M[key] = $8; rows = NR }
END {
  print "| tool | form | N services | resources | lines | wall time | CPU time | lines/s (wall) | resources/s (wall) | peak RSS | status |"
  print "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"
  for (i = 1; i <= rows; i++) {
    s = ms[i] / 1000
    printf "| %s | %s | %d | %d | %d | %s | %s | %s | %s | %s | %s |\n", tool[i], form[i], n[i], res[i], lines[i],
      dur(ms[i]), cpudur(cpu[i]), (s > 0 ? human(lines[i] / s) : "-"), (s > 0 ? human(res[i] / s) : "-"), mem(kib[i]), st[i]
  }
  print ""
  print "Growth for a tenfold N (10.0 is linear; at small N, start-up dominates):"
  print ""
  for (i = 1; i <= rows; i++) {
    prev = tool[i] "/" form[i] "/" (n[i] / 10)
    if (!(prev in T) || T[prev] <= 0) continue
    printf "- %s %s, N=%d / N=%d: wall x%s, CPU x%s, memory x%s\n", tool[i], form[i], n[i], n[i] / 10,
      ratio(ms[i], T[prev], "%.1f"), (C[prev] >= 50 ? ratio(cpu[i], C[prev], "%.1f") : "-"), ratio(kib[i], M[prev], "%.1f")
  }
  nt = 0
  for (i = 1; i <= rows; i++) {
    if (tool[i] != "terraform") continue
    key = "platc/unrolled/" n[i]
    if (!(key in T) || T[key] <= 0) continue
    if (!nt++) { print ""; print "Terraform (" tfver ") / platc, same configuration:"; print "" }
    printf "- N=%d: wall x%s, CPU x%s, memory x%s\n", n[i], ratio(ms[i], T[key], "%.0f"),
      (C[key] >= 50 ? ratio(cpu[i], C[key], "%.0f") : "-"), ratio(kib[i], M[key], "%.0f")
  }
  key = "platc/unrolled/100000"
  if (key in T) {
    print ""
    printf "Target, N=100,000 unrolled (300,000 resources): under 2 s and 1 GiB. Measured: %s wall, %s CPU, %s: %s.\n",
      dur(T[key]), dur(C[key]), mem(M[key]),
      ((T[key] < 2000 && M[key] != "-" && M[key] < 1048576) ? "met" : "missed")
  }
  if (load + 0 > cores + 0) {
    print ""
    printf "Note: the load average was %s on %d cores at the end of the run: other work competed for the CPU, so wall times are inflated; CPU times are the steadier figure.\n", load, cores
  }
}' "$rows" > "$report"

echo
cat "$report"

mkdir -p "$here/results"
{
  echo "# platc benchmark results"
  echo
  echo "Measured by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d):"
  echo "$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)," \
       "$(awk '/^MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo 2>/dev/null)."
  echo "platc: \`$($PLATC --version 2>/dev/null | head -n 1)\`; median of $RUNS runs of \`platc check\`."
  [ -n "$tfver" ] && echo "Terraform: $tfver, \`terraform validate\`, $TF_RUNS run(s)."
  echo
  cat "$report"
} > "$here/results/latest.md"
echo
echo "written: bench/results/latest.md"
python3 "$here/lsp/run.py" "$PLATC" "$here/results/lsp.md" || failed=1   # platc lsp: bench/lsp/
sh "$here/graph.sh" "$PLATC" "$here/results/latest.md" || failed=1   # platc graph vs Pkl, Jsonnet
# platc deploy/plan and the engine's overhead, vs terraform apply: bench/deploy/ (BENCH_DEPLOY=0 skips)
[ "${BENCH_DEPLOY:-1}" = 0 ] || sh "$here/deploy/run.sh" "$PLATC" || failed=1
exit "$failed"
