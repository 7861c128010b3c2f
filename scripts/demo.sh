#!/bin/sh
# scripts/demo.sh PLATC: the quickstart, as `make demo` runs it.  For now it checks
# examples/quickstart and says what it checked; when the deploy engine exists it will plan
# and deploy it too.  Exits non-zero when the check fails.
set -eu
[ $# -eq 1 ] || { echo "usage: sh scripts/demo.sh PLATC" >&2; exit 2; }
PLATC=$1
dir=examples/quickstart

echo "==> $PLATC check --werror $dir"
status=0
"$PLATC" check --werror "$dir" || status=$?
if [ "$status" -ne 0 ]; then
  echo "demo: '$PLATC check --werror $dir' failed (exit $status)" >&2
  exit "$status"
fi
echo
echo "Checked $dir: $(ls "$dir"/*.plat | tr '\n' ' ')— no errors, no warnings."
echo "It declares a random id, a directory and two files under $dir/out/, and an output."
echo "Deploying it (platc deploy) comes with the deploy engine, in a later release;"
echo "today platc checks, formats and explains.  Try:"
echo "  $PLATC fmt --check $dir"
echo "  $PLATC explain E0200"
