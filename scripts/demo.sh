#!/bin/sh
# scripts/demo.sh PLATC: the quickstart, as `make demo` runs it.  Copies
# examples/quickstart to build/demo/quickstart (a scratch copy: the source tree stays
# clean, and the demo's state and files live there), checks it, shows the plan, deploys it
# on the embedded defaults (local state in build/demo/quickstart/.plat/, the local and
# random providers), prints the outputs, and deploys again to show that nothing changes.
# Run it again and it starts over from an empty copy.  DEMO_DIR=folder puts the copy
# elsewhere (the tests do).  Exits non-zero when a step fails.
set -eu
[ $# -eq 1 ] || { echo "usage: sh scripts/demo.sh PLATC" >&2; exit 2; }
case $1 in /*) PLATC=$1 ;; *) PLATC=$(pwd)/$1 ;; esac
src=examples/quickstart
demo=${DEMO_DIR:-build/demo/quickstart}

step() {
  echo
  echo "==> $*"
}

rm -rf "$demo"
mkdir -p "$demo"
cp "$src"/*.plat "$demo"/
cd "$demo"

step "platc check --werror   (in $demo, a fresh copy of $src)"
"$PLATC" check --werror
echo "no errors, no warnings"

step "platc plan"
"$PLATC" plan

step "platc deploy --yes"
"$PLATC" deploy --yes

step "platc output"
"$PLATC" output

step "what it made"
find out -type f | sort | while read -r f; do
  printf '%s:\n' "$f"
  sed 's/^/    /' "$f"
  echo
done

step "platc deploy --yes   (again: the program and the real files agree)"
out=$("$PLATC" deploy --yes)
echo "$out"
case $out in
  "No changes."*) ;;
  *) echo "demo: the second deploy was expected to change nothing" >&2; exit 1 ;;
esac

echo
echo "The state is in $demo/.plat/ and the files in $demo/out/.  Try:"
echo "  cd $demo && $PLATC plan -c name=you        # what a new greeting would change"
echo "  cd $demo && $PLATC destroy --yes           # remove it all"
