#!/bin/sh
# External providers as `platc check` sees them.  Usage: tests/run_providers.sh PLATC
# The test provider kv (tests/providers/, Python) ships kv.plat beside its executable; with
# it on PLAT_PROVIDER_PATH, or copied into a project's .plat/providers/, `use kv` checks
# like a built-in provider: its properties are typed, its secret output is secret.
# Without it, `use kv` is E0202.  The providers' life cycle through the protocol is tested
# by tests/unit/test_provider_external.c.  Run from the repository root.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: tests/run_providers.sh PLATC" >&2
  exit 2
fi
PLATC=$1
case $PLATC in /*) ;; *) PLATC=$(pwd)/$PLATC ;; esac
PROVIDERS=$(pwd)/tests/providers

pass=0
fail=0
ok() { pass=$((pass + 1)); }
failed() { echo "FAIL $*"; fail=$((fail + 1)); }

if [ ! -x "$PLATC" ]; then
  echo "FAIL providers: expected an executable platc at $PLATC, found none"
  echo "providers: 0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-providers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# expect NAME WANT_RC GREP [ENV=VAL...] -- ARGS: platc's exit status and a line of its output
expect() {
  name=$1 want=$2 pattern=$3
  shift 3
  envs=""
  while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
  shift
  rc=0
  env NO_COLOR=1 $envs "$PLATC" "$@" >"$tmp/out" 2>&1 || rc=$?
  if [ "$rc" -ne "$want" ]; then
    cat "$tmp/out"
    failed "$name: expected exit $want, got $rc"
  elif [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/out"; then
    cat "$tmp/out"
    failed "$name: expected output matching '$pattern'"
  else
    ok
  fi
}

mkdir -p "$tmp/app"
cat >"$tmp/app/main.plat" <<'PLAT'
use kv

resource greeting: kv.Item {
  key   = "greeting"
  value = "hello"
}

resource api: kv.Token { name = "api" }

output path = greeting.path
output revision: int = greeting.revision
PLAT

expect "use kv on PLAT_PROVIDER_PATH" 0 "" PLAT_PROVIDER_PATH="$PROVIDERS" -- check "$tmp/app"
expect "use kv without it" 1 "E0202" PLAT_PROVIDER_PATH=/nonexistent -- check "$tmp/app"

# the schema's secret output stays secret in the checker
mkdir -p "$tmp/leak"
cat >"$tmp/leak/main.plat" <<'PLAT'
use kv

resource api: kv.Token { name = "api" }

output token = api.token
PLAT
expect "kv.Token.token is secret" 1 "E0403" PLAT_PROVIDER_PATH="$PROVIDERS" -- check "$tmp/leak"

# found in the project's .plat/providers/, with typed properties and did-you-mean
mkdir -p "$tmp/proj/.plat/providers"
cp "$PROVIDERS/platc-provider-kv" "$PROVIDERS/kv.plat" "$PROVIDERS/plat_rpc.py" "$tmp/proj/.plat/providers/"
cat >"$tmp/proj/main.plat" <<'PLAT'
use kv

resource g: kv.Item {
  key  = "g"
  valu = "x"
}
PLAT
expect "kv from .plat/providers: unknown property" 1 "did you mean 'value'" PLAT_PROVIDER_PATH= -- check "$tmp/proj"
sed -i 's/valu =/value =/' "$tmp/proj/main.plat"
expect "kv from .plat/providers: clean" 0 "" PLAT_PROVIDER_PATH= -- check "$tmp/proj"

# an executable without a schema beside it gives no schema (platc check never runs it)
mkdir -p "$tmp/noschema"
cp "$PROVIDERS/platc-provider-kv" "$PROVIDERS/plat_rpc.py" "$tmp/noschema/"
expect "an executable without NAME.plat" 1 "E0202" PLAT_PROVIDER_PATH="$tmp/noschema" -- check "$tmp/app"

# the test providers are valid Python (no bytecode written into the source tree)
for f in "$PROVIDERS"/platc-provider-* "$PROVIDERS"/plat_rpc.py; do
  if python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$f"; then ok
  else failed "python: $f does not parse"; fi
done

echo "providers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
