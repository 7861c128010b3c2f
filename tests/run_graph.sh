#!/bin/sh
# tests/run_graph.sh PLATC: golden tests of `platc graph` (docs/graph.md).
#  - every program in tests/graph/ (NAME.plat, or a folder NAME/) and every example in
#    examples/: the JSON graph must equal NAME.json byte for byte (NAME.dot and NAME.mmd
#    too when present); NAME.args holds extra arguments, one per line (-c NAME=VALUE);
#    NAME.secrets lists texts that must appear in no output (JSON, dot, Mermaid, stderr);
#  - determinism: each program twice gives the same bytes, and each single-file program
#    with its top-level declarations in reverse order gives the same graph but for the
#    locations and the source hash;
#  - dot and Mermaid are written for every program, and when Graphviz is installed each
#    dot graph must be one it draws; --svg with a real, a fake and a missing `dot`;
#  - a .platb built from each example gives the same graph as its sources;
#  - the example in docs/graph.md is exactly what platc graph prints for its program;
#  - the command's errors: exit statuses and messages.
# UPDATE=1 rewrites the goldens (then read them: they are the specification).
set -u

[ $# -eq 1 ] || { echo "usage: tests/run_graph.sh PLATC" >&2; exit 2; }
PLATC=$1
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
[ -x "$PLATC" ] || { echo "FAIL graph: '$PLATC' is not an executable" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
G=tests/graph

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-graph.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL graph: $*"; fail=$((fail + 1)); }

HAVE_DOT=0
command -v dot >/dev/null 2>&1 && HAVE_DOT=1

# graph PATH ARGSFILE OUT ERR [MORE...]: run platc graph; prints its exit status.
graph() {
  path=$1 argsfile=$2 out=$3 err=$4
  shift 4
  (
    if [ -n "$argsfile" ] && [ -f "$argsfile" ]; then
      IFS='
'
      # shellcheck disable=SC2046
      set -- $(cat "$argsfile") "$@"
      unset IFS
    fi
    "$PLATC" graph "$path" "$@" >"$out" 2>"$err"
    echo $?
  )
}

# golden GOT WANT WHAT: compare, or write under UPDATE=1.
golden() {
  if [ "${UPDATE:-0}" = 1 ]; then
    cp "$1" "$2"
    ok
  elif [ ! -f "$2" ]; then
    bad "$3: no golden $2 (run UPDATE=1 sh tests/run_graph.sh PLATC, then read it)"
  elif cmp -s "$1" "$2"; then
    ok
  else
    bad "$3: output differs from $2:"
    diff -u "$2" "$1" | head -n 30
  fi
}

# reorder FILE: the file's top-level declarations (blocks separated by blank lines at
# bracket depth 0, comments and decorators kept with the block they precede), reversed.
reorder() {
  awk '
    function flush() { if (cur != "") { blocks[++nb] = cur; cur = "" } }
    {
      line = $0
      if (line ~ /^[ \t]*$/ && depth == 0) { flush(); next }
      cur = cur line "\n"
      if (line ~ /^[ \t]*\/\//) next
      t = line; gsub(/"[^"]*"/, "", t)   # brackets inside plain strings do not count
      depth += gsub(/[{[(]/, "", t)
      t = line; gsub(/"[^"]*"/, "", t)
      depth -= gsub(/[]})]/, "", t)
    }
    END { flush(); for (i = nb; i >= 1; i--) printf "%s\n", blocks[i] }' "$1"
}

strip_places() {
  grep -v -e '"location": ' -e '"source_hash": ' "$1"
}

# check_case NAME PATH PREFIX: every check above for one program.
check_case() {
  name=$1 path=$2 prefix=$3
  argsfile=$prefix.args
  rc=$(graph "$path" "$argsfile" "$tmp/out.json" "$tmp/err")
  if [ "$rc" != 0 ]; then
    bad "$name: expected exit 0, got $rc:"
    head -n 10 "$tmp/err"
    return
  fi
  golden "$tmp/out.json" "$prefix.json" "$name (json)"
  rc=$(graph "$path" "$argsfile" "$tmp/again.json" "$tmp/err2")
  if cmp -s "$tmp/out.json" "$tmp/again.json"; then ok; else bad "$name: a second run gave other bytes"; fi
  for fmt in dot mermaid; do
    ext=$fmt; [ "$fmt" = mermaid ] && ext=mmd
    rc=$(graph "$path" "$argsfile" "$tmp/out.$ext" "$tmp/err.$ext" --format "$fmt")
    if [ "$rc" != 0 ]; then bad "$name: --format $fmt: expected exit 0, got $rc"; continue; fi
    ok
    if [ -f "$prefix.$ext" ]; then
      golden "$tmp/out.$ext" "$prefix.$ext" "$name ($fmt)"
    fi
  done
  if [ "$HAVE_DOT" = 1 ]; then
    if dot -Tsvg "$tmp/out.dot" -o "$tmp/out.svg" 2>"$tmp/doterr" && [ ! -s "$tmp/doterr" ]; then ok
    else bad "$name: Graphviz refuses or warns about the dot graph:"; head -n 5 "$tmp/doterr"; fi
  fi
  if [ -f "$prefix.secrets" ]; then
    while IFS= read -r s; do
      [ -n "$s" ] || continue
      if grep -F -q -e "$s" "$tmp/out.json" "$tmp/out.dot" "$tmp/out.mmd" "$tmp/err"; then
        bad "$name: the secret '$s' appears in an output"
      else ok; fi
    done < "$prefix.secrets"
  fi
  if [ -f "$path" ]; then
    mkdir -p "$tmp/re/$(dirname "$path")"
    reorder "$path" > "$tmp/re/$path"
    if cmp -s "$path" "$tmp/re/$path"; then
      ok   # a single declaration: nothing to reorder
    else
      abs_args=""
      [ -f "$argsfile" ] && abs_args=$root/$argsfile
      rc=$(cd "$tmp/re" && graph "$path" "$abs_args" "$tmp/re.json" "$tmp/re.err")
      strip_places "$tmp/out.json" > "$tmp/a"
      strip_places "$tmp/re.json" > "$tmp/b"
      if [ "$rc" = 0 ] && cmp -s "$tmp/a" "$tmp/b"; then ok
      else
        bad "$name: with its declarations reversed, the graph differs (exit $rc):"
        diff -u "$tmp/a" "$tmp/b" | head -n 20
        head -n 5 "$tmp/re.err"
      fi
    fi
  fi
}

# ---- the golden programs and the examples --------------------------------------------
ncase=0
for p in "$G"/*.plat "$G"/*/; do
  [ -e "$p" ] || continue
  p=${p%/}
  name=$(basename "$p" .plat)
  [ "$name" = examples ] && continue
  check_case "$name" "$p" "$G/$name"
  ncase=$((ncase + 1))
done
for e in examples/*/; do
  e=${e%/}
  name=$(basename "$e")
  check_case "example $name" "$e" "$G/examples/$name"
  ncase=$((ncase + 1))
done
[ "$ncase" -ge 10 ] && ok || bad "expected at least 10 golden programs, found $ncase"

# ---- a built module gives the same graph as its sources --------------------------------
for e in examples/*/; do
  e=${e%/}
  name=$(basename "$e")
  if ! "$PLATC" build -o "$tmp/$name.platb" "$e" > "$tmp/b.out" 2>&1; then
    bad "example $name: platc build failed:"; head -n 5 "$tmp/b.out"; continue
  fi
  rc=$(graph "$tmp/$name.platb" "$G/examples/$name.args" "$tmp/pb.json" "$tmp/pb.err")
  if [ "$rc" = 0 ] && cmp -s "$tmp/pb.json" "$G/examples/$name.json"; then ok
  else bad "example $name: the graph of its .platb (exit $rc) is not the graph of its sources"; head -n 5 "$tmp/pb.err"; fi
done

# ---- the example in docs/graph.md ------------------------------------------------------
awk '/^### Example/ { on = 1 } on && /^```plat/ { f = 1; next } f && /^```/ { exit } f' docs/graph.md \
  > "$tmp/example.plat"
awk '/^### Example/ { on = 1 } on && /^```json/ { f = 1; next } f && /^```/ { exit } f' docs/graph.md \
  > "$tmp/example.want"
(cd "$tmp" && "$PLATC" graph example.plat > example.got 2> example.err)
if [ ! -s "$tmp/example.plat" ]; then bad "docs/graph.md: no \`\`\`plat block under '### Example'"
elif cmp -s "$tmp/example.got" "$tmp/example.want"; then ok
else
  bad "docs/graph.md: the example's JSON is not what platc graph prints for its program:"
  diff -u "$tmp/example.want" "$tmp/example.got" | head -n 20
fi

# ---- the command: options, errors, -o, --svg ------------------------------------------
q=$G/keyed.plat
expect() {  # expect WHAT WANT_RC GOT_RC FILE PATTERN
  if [ "$3" != "$2" ]; then bad "$1: expected exit $2, got $3"; [ -f "$4" ] && head -n 5 "$4"; return; fi
  if [ -n "$5" ] && ! grep -q -e "$5" "$4"; then bad "$1: expected '$5' in:"; head -n 5 "$4"; return; fi
  ok
}
"$PLATC" graph "$q" > "$tmp/std.json" 2>/dev/null
rc=0; "$PLATC" graph "$q" -o "$tmp/o.json" > "$tmp/o.out" 2>&1 || rc=$?
expect "-o FILE" 0 "$rc" "$tmp/o.out" ""
if cmp -s "$tmp/std.json" "$tmp/o.json" && [ ! -s "$tmp/o.out" ]; then ok; else bad "-o FILE: not the bytes of stdout, or stdout not empty"; fi
ls "$tmp"/o.json.tmp* >/dev/null 2>&1 && bad "-o FILE left its temporary file behind" || ok
rc=0; "$PLATC" graph "$q" -o "$tmp/no/such/dir/g.json" > "$tmp/e" 2>&1 || rc=$?
expect "-o into a missing folder" 2 "$rc" "$tmp/e" "cannot write '$tmp/no/such/dir/g.json'"
"$PLATC" graph "$q" --format=dot > "$tmp/eq.dot" 2>/dev/null
"$PLATC" graph "$q" --format dot > "$tmp/sp.dot" 2>/dev/null
if [ -s "$tmp/eq.dot" ] && cmp -s "$tmp/eq.dot" "$tmp/sp.dot"; then ok; else bad "--format=dot is not --format dot"; fi
rc=0; "$PLATC" graph "$q" --format yaml > "$tmp/e" 2>&1 || rc=$?
expect "--format yaml" 2 "$rc" "$tmp/e" "invalid value 'yaml' for --format"
rc=0; "$PLATC" graph "$q" --format dott > "$tmp/e" 2>&1 || rc=$?
expect "--format dott" 2 "$rc" "$tmp/e" "did you mean 'dot'"
rc=0; "$PLATC" graph "$q" --fromat json > "$tmp/e" 2>&1 || rc=$?
expect "--fromat" 2 "$rc" "$tmp/e" "did you mean '--format'"
rc=0; "$PLATC" graph "$q" --format > "$tmp/e" 2>&1 || rc=$?
expect "--format without a value" 2 "$rc" "$tmp/e" "--format needs a value"
rc=0; "$PLATC" graph "$q" -c novalue > "$tmp/e" 2>&1 || rc=$?
expect "-c without =" 2 "$rc" "$tmp/e" "needs NAME=VALUE"
rc=0; "$PLATC" graph "$q" --config "$tmp/missing.json" > "$tmp/e" 2>&1 || rc=$?
expect "--config of a missing file" 2 "$rc" "$tmp/e" "missing.json"
rc=0; "$PLATC" graph "$tmp/nothing-here" > "$tmp/e" 2>&1 || rc=$?
expect "a path that does not exist" 2 "$rc" "$tmp/e" "nothing-here"
printf 'use local\nresource f: local.File { path = 1 }\n' > "$tmp/typo.plat"
rc=0; "$PLATC" graph "$tmp/typo.plat" > "$tmp/o" 2> "$tmp/e" || rc=$?
expect "a program with a type error" 1 "$rc" "$tmp/e" "E0300"
[ -s "$tmp/o" ] && bad "a program with errors printed a graph" || ok
printf 'let xs = ["a"]\nparam i: int = 3\noutput o = xs[i]\n' > "$tmp/oob.plat"
rc=0; "$PLATC" graph "$tmp/oob.plat" > "$tmp/o" 2> "$tmp/e" || rc=$?
expect "a runtime error" 1 "$rc" "$tmp/e" "oob.plat:3:"
[ -s "$tmp/o" ] && bad "a failed run printed a graph" || ok
rc=0; "$PLATC" graph --help > "$tmp/e" 2>&1 || rc=$?
expect "--help" 0 "$rc" "$tmp/e" "--svg FILE"
rc=0; "$PLATC" help graph > "$tmp/e" 2>&1 || rc=$?
expect "platc help graph" 0 "$rc" "$tmp/e" "docs/graph.md"
"$PLATC" --help | grep -q '^  graph ' && ok || bad "platc --help does not list graph"

# a policy summary on stderr, and exit 0: the results are data in the graph
rc=0; "$PLATC" graph "$G/policies.plat" > /dev/null 2> "$tmp/e" || rc=$?
expect "policy summary" 0 "$rc" "$tmp/e" "policies: 1 denied, 1 warning, 1 waiting for deploy"

# --svg with a fake dot: the fixed arguments and the dot form on stdin
mkdir -p "$tmp/fakebin"
cat > "$tmp/fakebin/dot" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$tmp/fake.args"
cat > "$tmp/fake.stdin"
printf '<svg/>\n' > "\$3"
EOF
chmod +x "$tmp/fakebin/dot"
"$PLATC" graph "$q" --format dot > "$tmp/q.dot" 2>/dev/null
rc=0; PATH="$tmp/fakebin:$PATH" "$PLATC" graph "$q" --svg "$tmp/fake.svg" > "$tmp/o" 2> "$tmp/e" || rc=$?
expect "--svg (fake dot)" 0 "$rc" "$tmp/e" ""
printf -- '-Tsvg\n-o\n%s\n' "$tmp/fake.svg" > "$tmp/want.args"
if cmp -s "$tmp/fake.args" "$tmp/want.args" && cmp -s "$tmp/fake.stdin" "$tmp/q.dot" && [ ! -s "$tmp/o" ]; then ok
else bad "--svg: dot was not run as 'dot -Tsvg -o FILE' with the dot graph on stdin and nothing on stdout"; fi
rc=0; PATH="$tmp/fakebin:$PATH" "$PLATC" graph "$q" --svg "$tmp/fake.svg" --format json > "$tmp/o" 2> "$tmp/e" || rc=$?
if [ "$rc" = 0 ] && cmp -s "$tmp/o" "$tmp/std.json"; then ok; else bad "--svg with --format json: the JSON should still go to stdout"; fi
# a dot that fails
printf '#!/bin/sh\ncat >/dev/null\necho "dot: cannot open" >&2\nexit 3\n' > "$tmp/fakebin/dot"
rc=0; PATH="$tmp/fakebin:$PATH" "$PLATC" graph "$q" --svg "$tmp/fake.svg" > "$tmp/o" 2> "$tmp/e" || rc=$?
expect "--svg (dot fails)" 2 "$rc" "$tmp/e" "dot failed (exit status 3)"
# no dot on PATH at all (platc itself is given by its full path)
mkdir -p "$tmp/emptybin"
rc=0; PATH="$tmp/emptybin" "$PLATC" graph "$q" --svg "$tmp/none.svg" > "$tmp/o" 2> "$tmp/e" || rc=$?
expect "--svg without Graphviz" 2 "$rc" "$tmp/e" "no \`dot\` on PATH; install Graphviz"
# the real Graphviz, when installed
if [ "$HAVE_DOT" = 1 ]; then
  rc=0; "$PLATC" graph "$G/nested.plat" --svg "$tmp/real.svg" > "$tmp/o" 2> "$tmp/e" || rc=$?
  if [ "$rc" = 0 ] && grep -q '<svg' "$tmp/real.svg" && grep -q 'outer' "$tmp/real.svg"; then ok
  else bad "--svg with Graphviz: exit $rc, no SVG drawn"; head -n 5 "$tmp/e"; fi
fi

echo "graph: $pass passed, $fail failed ($ncase programs$( [ "$HAVE_DOT" = 1 ] || echo ', Graphviz not installed: dot graphs not drawn'))"
[ "$fail" -eq 0 ]
