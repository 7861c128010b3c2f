#!/bin/sh
# The stdB built-ins end to end through `platc eval` on a real module
# (tests/stdlib-files/mod): files read relative to the module's folder, templatefile
# through the VM's hook, jsondecode/yamldecode/csvdecode converted to the types the module
# writes (defaults, optional fields, unions), and runtime errors that name the path of the
# first mismatch with the call's location; and every plat block of docs/stdlib.md checks.
# Usage: sh tests/run_stdlib_files.sh PLATC
PLATC=${1:-build/platc}
M=tests/stdlib-files/mod
pass=0
fail=0
if [ ! -x "$PLATC" ]; then echo "FAIL run_stdlib_files: no executable platc at $PLATC"; exit 1; fi

# expect NAME EXPR WANT [-c ARG]: eval prints exactly WANT (stdout) and exits 0
expect() {
  name=$1 expr=$2 want=$3
  shift 3
  got=$(NO_COLOR=1 "$PLATC" eval "$@" -e "$expr" "$M" 2>&1)
  rc=$?
  if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); printf 'FAIL %s: %s\n  want: %s\n  got (exit %s): %s\n' "$name" "$expr" "$want" "$rc" "$got"; fi
}
# expect_err NAME EXPR WANT [-c ARG]: eval exits 1 and its first line is exactly WANT
expect_err() {
  name=$1 expr=$2 want=$3
  shift 3
  got=$(NO_COLOR=1 "$PLATC" eval "$@" -e "$expr" "$M" 2>&1 | head -1)
  NO_COLOR=1 "$PLATC" eval "$@" -e "$expr" "$M" >/dev/null 2>&1
  rc=$?
  if [ $rc -eq 1 ] && [ "$got" = "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); printf 'FAIL %s: %s\n  want: %s\n  got (exit %s): %s\n' "$name" "$expr" "$want" "$rc" "$got"; fi
}

expect json-typed from_json '[{"name":"a","port":80,"tags":null,"tier":"web"},{"name":"b","port":8443,"tags":null,"tier":"worker"}]'
expect yaml-merge from_yaml '{"servers":[{"name":"c","port":9000,"tags":null,"tier":"web"}]}'
expect templatefile greeting '"Hi, module."'
expect csv csv '[{"host":"web","ip":"10.0.0.1"},{"host":"db","ip":"10.0.0.2"}]'
expect file-relative 'file("greeting.tmpl")' '"Hi, ${name}."'
expect file-dotdot 'file("../hello.txt")' '"Hello, Plat!\n"'
expect filebase64 'filebase64("../hello.txt")' '"SGVsbG8sIFBsYXQhCg=="'
expect fileexists 'fileexists("main.plat")' 'true'
expect fileexists-no 'fileexists("nope.plat")' 'false'
expect fileset 'fileset("..", "**/*.{csv,tmpl}")' '["greeting.tmpl","mod/greeting.tmpl","mod/hosts.csv"]'
expect filemd5 'filemd5("../hello.txt")' '"8df924824b2d4396ce010c86ac8d8985"'
expect filesha256 'filesha256("../hello.txt")' '"4e7303a265d726b56027f8c4cc86341f6a063582928dfa6feebebc62386e85bb"'
expect filebase64sha512 'filebase64sha512("../hello.txt")' '"7hvDYzIaxVbpA9B48cOlKybfm+CbamjCH704qUvJ/DN6+cxti5Q55aTtNSr2Xsqifofg6vdWxtnkk5tvXrvSDQ=="'
expect templatefile-vars 'templatefile("../greeting.tmpl", { name = "Plat" })' '"Hello, Plat!"'
expect abspath 'endswith(abspath("x/../y"), "/tests/stdlib-files/mod/y")' 'true'
expect json-config from_json '[{"name":"z","port":1,"tags":["t"],"tier":"web"}]' \
  -c 'servers_json=[{"name":"z","port":1.0,"tags":["t"],"extra":true}]'

expect_err json-bad-field from_json "$M/main.plat:8:31: error: jsondecode: at [0].port: expected int, found string \"80\"" \
  -c 'servers_json=[{"name":"a","port":"80"}]'
expect_err json-bad-union from_json "$M/main.plat:8:31: error: jsondecode: at [0].tier: expected one of \"web\", \"worker\", found string \"db\"" \
  -c 'servers_json=[{"name":"a","tier":"db"}]'
expect_err json-missing from_json "$M/main.plat:8:31: error: jsondecode: at [1]: missing field 'name' (string)" \
  -c 'servers_json=[{"name":"a"},{}]'
expect_err json-syntax from_json "$M/main.plat:8:31: error: jsondecode: invalid JSON at line 1, column 6: '}' expected near end of file" \
  -c 'servers_json={"a":1'
# (where eval puts the expression is its own business: only the message is compared)
got=$(NO_COLOR=1 "$PLATC" eval -e 'file("hello.txt")' "$M" 2>&1 | head -1 | sed 's/^.*: error: /error: /')
want='error: file: no file exists at "hello.txt"; this function works only with files that are part of the configuration, not with files a resource creates'
if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
  fail=$((fail + 1)); printf 'FAIL file-missing\n  want: %s\n  got: %s\n' "$want" "$got"; fi

# every ```plat block of docs/stdlib.md checks with no diagnostic at all
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plat-stdlib-files.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
awk -v dir="$tmp" '/^```plat$/ { n++; f = dir "/block" n ".plat"; inb = 1; next }
                   /^```$/ { inb = 0; next }
                   inb { print > f }' docs/stdlib.md
for f in "$tmp"/block*.plat; do
  [ -f "$f" ] || { fail=$((fail + 1)); echo "FAIL docs/stdlib.md: no plat block found"; break; }
  out=$(NO_COLOR=1 "$PLATC" check "$f" 2>&1)
  if [ $? -eq 0 ] && [ -z "$out" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); printf 'FAIL docs/stdlib.md %s:\n%s\n' "${f##*/}" "$out"; fi
done

echo "stdlib files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
