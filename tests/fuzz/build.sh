#!/bin/sh
# Build the libFuzzer targets O/fuzz_check (the front end) and O/fuzz_platb (the .platb
# loader, verifier and VM).  Usage: tests/fuzz/build.sh O
# O/libplat.a must be compiled with clang -fsanitize=fuzzer-no-link,address,undefined
# (`make fuzz` does that first).  The checker is fuzzed in memory through
# plat_check_source when libplat defines it, else through a temporary file.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: tests/fuzz/build.sh O" >&2
  exit 2
fi
O=$1
CC=${FUZZ_CC:-clang}
lib=$O/libplat.a
if [ ! -f "$lib" ]; then
  echo "fuzz/build: expected $lib (built by 'make fuzz'), found none" >&2
  exit 1
fi
# Every library libplat links (the Makefile's PKGS): the stdlib pulls in PCRE2, libyaml,
# utf8proc and zlib wherever a target reaches it.
PLAT_LIBS="$(pkg-config --libs jansson libcurl libcrypto libpcre2-8 yaml-0.1 libutf8proc zlib 2>/dev/null) -lm"
defs=""
if nm "$lib" 2>/dev/null | grep -q ' T plat_check_source$'; then
  defs="-DPLAT_FUZZ_CHECK_SOURCE"
else
  echo "fuzz/build: plat_check_source is not in $lib yet: checking through a temporary file"
fi
# shellcheck disable=SC2046
$CC -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -Wall -Wextra -Werror \
  -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer $defs \
  -I. -I"$O/gen" $(pkg-config --cflags jansson) \
  -o "$O/fuzz_check" tests/fuzz/fuzz_check.c "$lib" $PLAT_LIBS
echo "fuzz/build: built $O/fuzz_check"
# shellcheck disable=SC2046
$CC -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g -Wall -Wextra -Werror \
  -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
  -I. -I"$O/gen" $(pkg-config --cflags jansson) \
  -o "$O/fuzz_platb" tests/fuzz/fuzz_platb.c "$lib" $PLAT_LIBS
echo "fuzz/build: built $O/fuzz_platb"
