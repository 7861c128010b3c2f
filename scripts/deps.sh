#!/bin/sh
# Install the Debian packages platc needs to build and test, and nothing when they are
# all present. Called by `make deps` (and so by `make test` and `make demo`).
# Why each one: re2c and bison generate the lexer and parser; jansson is JSON (diagnostics,
# graph, state, LSP); libcurl talks HTTP; cmocka runs the unit tests; libssl is libcrypto
# (hashes, secret encryption); clang and its runtime build the libFuzzer target;
# pcre2 is the stdlib's regex engine (regex, regexall), libyaml its YAML (yamlencode,
# yamldecode); python3 drives the LSP sessions and is the external test provider's language;
# utf8proc gives the stdlib Unicode as Terraform has it (grapheme clusters for length, substr,
# strrev; case mapping for upper, lower, title; NFC).
# zlib1g-dev is zlib, the gzip of base64gzip.
# graphviz: tests/run_graph.sh checks that every dot graph platc writes is one Graphviz draws
# without a warning, and runs `platc graph --svg` with the real `dot`.
# nodejs: tests/lsp/s_editors.py loads the VS Code client (editors/vscode) against stand-ins.
set -eu
pkgs="make gcc re2c bison pkg-config libjansson-dev libcurl4-openssl-dev libcmocka-dev libssl-dev clang libclang-rt-dev libpcre2-dev libyaml-dev python3 libutf8proc-dev zlib1g-dev graphviz nodejs"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# One update, then install; retry once after a fresh update if the index was stale.
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends $missing || {
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing
}
