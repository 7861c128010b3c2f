"""Run the language server's scripted sessions: every tests/lsp/*.json (the format below)
and every tests/lsp/*.py session script other than this runner and driver.py (run as
`python3 SCRIPT PLATC`, exit status 0 = pass).  Usage: run.py PLATC [NAME...].

A .json session:
  {"files": {"app/main.plat": "..."},          written under a fresh temporary $ROOT
   "initialize": {"root": "", "capabilities": {}},   optional; omit to test before initialize
   "steps": [ ... ]}
Steps (strings, object keys included, have ${ROOT} and ${URI:rel/path} substituted):
  {"notify": M, "params": P}                    a notification
  {"request": M, "params": P, "result": R}      a request; R must equal the result exactly
  {"request": M, "params": P, "error": E}       E a subset of the error object ({"code": -32601})
  {"request": ..., "result_subset": R}          R a subset of the result (dicts: listed keys only)
  {"raw": TEXT}                                 bytes as they are (for malformed framing)
  {"response": {"id": ID, ...}}                 the next response with that id (null allowed): subset
  {"diagnostics": "rel/path", "expect": LIST}   the next publishDiagnostics for it; LIST must
                                                match exactly, or "expect_subset" as a subset
  {"text": "rel/path", "expect": TEXT}          the server's copy of an open buffer
  {"exit": CODE}                                close stdin after what was sent; exit status
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from driver import Client, ServerError, path_uri  # noqa: E402


def subst(v, root):
    if isinstance(v, str):
        out = v.replace("${ROOT}", root)
        while "${URI:" in out:
            a = out.index("${URI:")
            b = out.index("}", a)
            out = out[:a] + path_uri(os.path.join(root, out[a + 6:b])) + out[b + 1:]
        return out
    if isinstance(v, list):
        return [subst(x, root) for x in v]
    if isinstance(v, dict):
        # keys too: a WorkspaceEdit's "changes" is keyed by URI
        return {subst(k, root): subst(x, root) for k, x in v.items()}
    return v


def subset(want, got, path="$"):
    """None if [want] is a subset of [got] (lists: same length, each a subset), else why."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: expected an object, got %r" % (path, got)
        for k, v in want.items():
            if k not in got:
                return "%s: missing key %r in %r" % (path, k, got)
            r = subset(v, got[k], path + "." + k)
            if r:
                return r
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return "%s: expected %d items, got %r" % (path, len(want), got)
        for i, (a, b) in enumerate(zip(want, got)):
            r = subset(a, b, "%s[%d]" % (path, i))
            if r:
                return r
        return None
    return None if want == got else "%s: expected %r, got %r" % (path, want, got)


def exact(want, got, what):
    if want != got:
        raise AssertionError("%s:\n  expected %s\n  got      %s" % (
            what, json.dumps(want, ensure_ascii=False), json.dumps(got, ensure_ascii=False)))


def run_step(c, step, where, root):
    if "notify" in step:
        c.notify(step["notify"], step.get("params"))
    elif "request" in step:
        r = c.request_raw(step["request"], step.get("params"), id=step.get("id"))
        if "error" in step:
            if "error" not in r:
                raise AssertionError("%s: expected an error, got %r" % (where, r))
            why = subset(step["error"], r["error"])
            if why:
                raise AssertionError("%s: %s" % (where, why))
        elif "error" in r:
            raise AssertionError("%s: unexpected error %r" % (where, r["error"]))
        elif "result" in step:
            exact(step["result"], r["result"], where)
        elif "result_subset" in step:
            why = subset(step["result_subset"], r["result"])
            if why:
                raise AssertionError("%s: %s" % (where, why))
    elif "raw" in step:
        c.send_raw(step["raw"].encode("utf-8", "surrogateescape"))
    elif "response" in step:
        want = step["response"]
        got = c.wait_response(want.get("id"))
        why = subset(want, got)
        if why:
            raise AssertionError("%s: %s" % (where, why))
    elif "diagnostics" in step:
        uri = path_uri(os.path.join(root, step["diagnostics"]))
        got = c.diagnostics(uri)
        if "expect" in step:
            exact(step["expect"], got, where)
        else:
            why = subset(step["expect_subset"], got)
            if why:
                raise AssertionError("%s: %s" % (where, why))
    elif "text" in step:
        uri = path_uri(os.path.join(root, step["text"]))
        exact(step["expect"], c.text(uri), where)
    elif "exit" in step:
        exact(step["exit"], c.wait_exit(), where + " (exit status)")
    else:
        raise AssertionError("%s: unknown step %r" % (where, step))


def run_json(platc, path):
    spec = json.load(open(path))
    root = tempfile.mkdtemp(prefix="platc-lsp-")
    c = None
    try:
        for rel, text in spec.get("files", {}).items():
            full = os.path.join(root, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        c = Client(platc, env={"XDG_CACHE_HOME": os.path.join(root, ".cache")})
        init = spec.get("initialize")
        if init is not None:
            r = c.initialize(root=os.path.join(root, init.get("root", "")),
                             capabilities=init.get("capabilities"))
            if "capabilities" in init.get("expect", {}):
                exact(init["expect"]["capabilities"], r["capabilities"], "capabilities")
        for i, step in enumerate(spec["steps"]):
            step = subst(step, root)
            where = "%s step %d" % (os.path.basename(path), i)
            try:
                run_step(c, step, where, root)
            except ServerError as e:
                raise AssertionError("%s: %s" % (where, e))
        if c.proc.poll() is None:
            raise AssertionError("%s: the session must end with an exit step" % path)
        err = c.stderr.decode(errors="replace")
        if "Sanitizer" in err or "runtime error" in err:
            raise AssertionError("sanitizer report:\n" + err[-3000:])
    finally:
        if c:
            c.kill()
        shutil.rmtree(root, ignore_errors=True)


def main():
    platc = os.path.abspath(sys.argv[1])
    only = sys.argv[2:]
    names = sorted(n for n in os.listdir(HERE)
                   if (n.endswith(".json") or n.endswith(".py")) and n not in ("run.py", "driver.py"))
    if only:
        names = [n for n in names if any(o in n for o in only)]
    failed = []
    for n in names:
        p = os.path.join(HERE, n)
        try:
            if n.endswith(".json"):
                run_json(platc, p)
            else:
                r = subprocess.run([sys.executable, p, platc], capture_output=True, text=True,
                                   timeout=600)
                if r.returncode != 0:
                    raise AssertionError("exit %d\n%s%s" % (r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
            print("ok   %s" % n)
        except (AssertionError, ServerError, subprocess.TimeoutExpired, KeyError, ValueError) as e:
            print("FAIL %s: %s" % (n, e))
            failed.append(n)
    print("lsp: %d passed, %d failed" % (len(names) - len(failed), len(failed)))
    sys.exit(1 if failed or not names else 0)


if __name__ == "__main__":
    main()
