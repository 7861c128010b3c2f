#!/bin/sh
# Golden tests of what the VM prints (docs/cli.md, docs/vm.md): `platc eval` values as JSON,
# runtime errors with their exact file:line:col and Plat stack trace, `platc check
# --policies` results.
# Usage: tests/run_eval.sh PLATC   (UPDATE=1 rewrites the .expected files; read them after)
# Each case is tests/eval/NAME.args: one line of arguments given to platc (the command
# first: `eval -e '1 + 2'`, `check --policies mods/policies`), run from
# tests/eval/ (so a module is named by a relative path such as mods/app).  Its stdout, then
# its stderr, then a line `exit: N` must equal tests/eval/NAME.expected byte for byte.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_eval.sh PLATC" >&2
  exit 2
fi
case $1 in /*) PLATC=$1 ;; *) PLATC=$(pwd)/$1 ;; esac
UPDATE=${UPDATE:-0}
DIR=tests/eval
pass=0
fail=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-eval.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

for args in "$DIR"/*.args; do
  [ -f "$args" ] || continue
  name=${args##*/}
  name=${name%.args}
  exp="$DIR/$name.expected"
  (
    cd "$DIR"
    # the arguments are shell words, as written on a command line
    eval "set -- $(cat "$name.args")"
    rc=0
    NO_COLOR=1 "$PLATC" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    cat "$tmp/out" "$tmp/err"
    echo "exit: $rc"
  ) >"$tmp/got" 2>&1
  if [ "$UPDATE" = 1 ]; then
    cp "$tmp/got" "$exp"
    pass=$((pass + 1))
  elif [ -f "$exp" ] && cmp -s "$tmp/got" "$exp"; then
    pass=$((pass + 1))
  else
    echo "FAIL eval $name"
    if [ -f "$exp" ]; then diff -u "$exp" "$tmp/got" | head -30; else echo "  (no $exp)"; fi
    fail=$((fail + 1))
  fi
done
# eval of a .platb: a root name or output.NAME (no sources to type an expression against)
check_platb() {   # WANT-RC WANT-TEXT ARGS...: the output (stdout then stderr) must hold WANT-TEXT
  want_rc=$1 want=$2
  shift 2
  rc=0
  NO_COLOR=1 "$PLATC" eval "$@" >"$tmp/pb.out" 2>&1 || rc=$?
  if [ "$rc" = "$want_rc" ] && grep -qF -- "$want" "$tmp/pb.out"; then pass=$((pass + 1)); else
    echo "FAIL eval .platb: 'platc eval $*' gave exit $rc (want $want_rc, with '$want'):"
    head -5 "$tmp/pb.out"
    fail=$((fail + 1))
  fi
}
if "$PLATC" build tests/graph/trycan.plat -o "$tmp/trycan.platb" >/dev/null 2>&1; then
  check_platb 0 '[8080,80,443]' -e output.parsed "$tmp/trycan.platb"
  check_platb 0 '"[secret]"' -e token "$tmp/trycan.platb"
  check_platb 2 'give -e NAME or -e output.NAME' -e 'token + 1' "$tmp/trycan.platb"
  check_platb 1 "no root let, param, resource or output 'nope'" -e output.nope "$tmp/trycan.platb"
  check_platb 0 '[8080,80,443]' -e output.parsed tests/graph/trycan.plat
else
  echo "FAIL eval .platb: platc build tests/graph/trycan.plat failed"
  fail=$((fail + 1))
fi

echo "eval: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
