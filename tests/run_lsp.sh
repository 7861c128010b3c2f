#!/bin/sh
# The language server's sessions (tests/lsp/run.py): every scripted .json session and .py
# script, over stdio, against PLATC.  Under SAN=1 the same sessions run on the ASan+UBSan
# binary, whose LeakSanitizer makes a leak a non-zero exit (s_fuzz.py: 10,000 edits).
# Usage: sh tests/run_lsp.sh PLATC
set -u
PLATC=${1:?usage: run_lsp.sh PLATC}
command -v python3 >/dev/null 2>&1 || { echo "run_lsp: python3 is needed (make deps installs it)"; exit 1; }
exec python3 "$(dirname "$0")/lsp/run.py" "$PLATC"
