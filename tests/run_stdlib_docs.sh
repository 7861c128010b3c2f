#!/bin/sh
# The examples of docs/stdlib.md, run: every ```plat-eval block holds expressions, each
# followed by `// => JSON` (what `platc eval -e EXPR` must print, compared as JSON with
# ints and floats kept apart) or `// error: TEXT` (eval must fail with TEXT in its
# stderr).  Every function section (### name) must have an example.  Until `platc eval`
# exists this says so and skips.  Usage: sh tests/run_stdlib_docs.sh PLATC
PLATC=${1:-build/platc}
if [ ! -x "$PLATC" ]; then echo "FAIL run_stdlib_docs: no executable platc at $PLATC"; exit 1; fi
if ! "$PLATC" eval -e '1' >/dev/null 2>&1; then
  echo "SKIP run_stdlib_docs: '$PLATC eval' is not available yet; the examples of docs/stdlib.md were not run"
  exit 0
fi
exec python3 - "$PLATC" docs/stdlib.md stdlib/builtins.def <<'PY'
import json, re, subprocess, sys
platc, doc, defs = sys.argv[1:4]
text = open(doc, encoding="utf-8").read()
fails, ran = [], 0
def canon(s):
    return json.dumps(json.loads(s), sort_keys=True)
section, examples = None, {}
lines = text.split("\n")
i = 0
while i < len(lines):
    m = re.match(r"### `?(\w+)`?", lines[i])
    if m:
        section = m.group(1)
        examples.setdefault(section, 0)
    if lines[i].strip() == "```plat-eval":
        i += 1
        expr = []
        while i < len(lines) and lines[i].strip() != "```":
            ln = lines[i]
            i += 1
            if ln.startswith("// => ") or ln.startswith("// error: "):
                e = "\n".join(expr).strip()
                expr = []
                ran += 1
                if section: examples[section] = examples.get(section, 0) + 1
                p = subprocess.run([platc, "eval", "-e", e], capture_output=True, text=True,
                                   env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
                if ln.startswith("// => "):
                    want = ln[6:]
                    try:
                        ok = p.returncode == 0 and canon(p.stdout) == canon(want)
                    except ValueError:
                        ok = False
                    if not ok:
                        fails.append(f"{section}: {e}\n  expected {want}\n  got (exit {p.returncode}) {p.stdout.strip()} {p.stderr.strip()}")
                else:
                    want = ln[10:]
                    if p.returncode == 0 or want not in p.stderr:
                        fails.append(f"{section}: {e}\n  expected an error with: {want}\n  got (exit {p.returncode}) {p.stdout.strip()} {p.stderr.strip()}")
            elif not ln.startswith("//"):
                expr.append(ln)
        if expr and "".join(expr).strip():
            fails.append(f"{section}: an expression without // => or // error: {' '.join(expr)}")
    i += 1
for name, n in sorted(examples.items()):
    if n == 0:
        fails.append(f"{name}: no example")
documented = set(examples)
missing = [n for n in re.findall(r"^BUILTIN\((\w+),", open(defs).read(), re.M) if n not in documented]
for f in fails:
    print("FAIL stdlib docs:", f)
if missing:
    print("note: built-ins without a section in docs/stdlib.md yet:", " ".join(missing))
print(f"stdlib docs: {ran - len([f for f in fails if 'expected' in f])} of {ran} examples passed")
sys.exit(1 if fails else 0)
PY
