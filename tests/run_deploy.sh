#!/bin/sh
# The deploy engine end to end: platc plan/deploy/destroy/refresh/import/output/stack/
# config/state as real processes on temp project folders, checked on the file system
# (tests/deploy/t_*.py, driven by tests/deploy/run.py).  Usage: tests/run_deploy.sh PLATC
# [FILTER...]; UPDATE=1 rewrites the goldens in tests/deploy/golden/.  Run from the
# repository root.
set -eu
if [ $# -lt 1 ]; then
  echo "usage: tests/run_deploy.sh PLATC [FILTER...]" >&2
  exit 2
fi
exec python3 tests/deploy/run.py "$@"
