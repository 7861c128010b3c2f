"""Deploy-time values, outputs, bounded parallelism and a failure in one branch, through
the CLI on real files."""
import json
import os
import re
import shutil

from harness import HERE, equal, expect, golden, timeless

QUICKSTART = os.path.join(HERE, "..", "..", "examples", "quickstart")


def events(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_quickstart_unknowns_resolved_in_order(ctx):
    p = ctx.project()
    shutil.copy(os.path.join(QUICKSTART, "main.plat"), p.path("main.plat"))
    r = p.ok("plan")
    golden("quickstart.plan", r.out)
    plan = json.loads(p.ok("plan", "--json").out)
    by = {res["address"]: res for res in plan["resources"]}
    path_change = [c for c in by["dir"]["changes"] if c["property"] == "path"][0]
    equal(path_change["after"], {"$unknown": True}, "dir.path is known after deploy")
    r = p.ok("deploy", "--yes", "--log-format", "json")
    ev = events(r.out)
    order = ["%s %s" % (e["event"], e.get("address", "")) for e in ev]
    i = order.index
    # random.Id -> Directory -> File -> File (config reads hello.path)
    expect(i("done suffix") < i("start dir") < i("done dir") < i("start hello")
           < i("done hello") < i("start config"), "resolution order", order)
    equal(ev[-1]["event"], "summary", "last event")
    equal(ev[-1]["converged"], True, "converged")
    equal(ev[-1]["created"], 4, "created")
    out = json.loads(p.ok("output", "--json").out)
    m = re.fullmatch(r"out/hello-([0-9a-f]{8})/hello\.txt", out["greetingFile"])
    expect(m, "greetingFile is a resolved path", out)
    hexid = m.group(1)
    equal(p.files(), sorted(["main.plat", "out/hello-%s/config.json" % hexid,
                             "out/hello-%s/hello.txt" % hexid]), "files")
    equal(p.read("out/hello-%s/hello.txt" % hexid), "Hello, world!\n", "hello.txt")
    cfg = json.loads(p.read("out/hello-%s/config.json" % hexid))
    equal(cfg, {"greeting": "Hello, world!", "id": hexid,
                "languages": [{"code": "en", "file": "out/hello-%s/hello.txt" % hexid},
                              {"code": "fr", "file": "out/hello-%s/hello.txt" % hexid}]},
          "config.json")
    equal(p.mode("out/hello-%s/config.json" % hexid), "0600", "config.json mode")
    # outputs: text, one by name, JSON
    equal(p.ok("output").out, 'greetingFile = "out/hello-%s/hello.txt"\n' % hexid, "platc output")
    equal(p.ok("output", "greetingFile").out, "out/hello-%s/hello.txt\n" % hexid, "one output")
    equal(p.ok("output", "greetingFile", "--json").out, '"out/hello-%s/hello.txt"\n' % hexid,
          "one output as JSON")
    r = p.fails(1, "output", "nope")
    equal(r.err, "platc output: no output 'nope' in stack 'dev'\n", "unknown output")
    equal(p.ok("plan").out, "No changes.\n", "second plan")
    # a config change flows through: the files are updated, the id is kept
    r = p.ok("deploy", "--yes", "-c", "name=Plat")
    equal(p.read("out/hello-%s/hello.txt" % hexid), "Hello, Plat!\n", "updated hello.txt")
    expect("2 updated" in r.out, "two files updated", r)


def wide(n):
    lines = ["use local", ""]
    for i in range(n):
        lines.append('resource f%d: local.File { path = "out/f%d.txt", content = "%d" }' % (i, i, i))
    return "\n".join(lines) + "\n"


def test_parallelism_bounded(ctx):
    for n in (1, 3, 8):
        p = ctx.project(wide(120))
        r = p.ok("deploy", "--yes", "--parallel", str(n), "--log-format", "json")
        ev = events(r.out)
        flight = [e["in_flight"] for e in ev if "in_flight" in e]
        expect(max(flight) <= n, "in_flight above --parallel %d: %d" % (n, max(flight)))
        equal(max(flight), n, "in_flight reaches --parallel %d on a wide program" % n)
        equal(len([e for e in ev if e["event"] == "done"]), 120, "done events")
        equal(len(p.files("out")), 120, "files")
    r = p.fails(2, "deploy", "--yes", "--parallel", "0")
    expect("--parallel needs a number from 1 to 256, not '0'" in r.err, "usage", r)


BRANCHES = '''use local

resource good: local.Directory { path = "out/good" }
resource goodfile: local.File { path = "${good.path}/a.txt", content = "a" }

resource bad: local.Directory { path = "out/blocked" }
resource badfile: local.File { path = "${bad.path}/b.txt", content = "b" }
resource badfile2: local.File { path = "out/after-${badfile.sha256}.txt", content = "c" }

resource free: local.File { path = "out/free.txt", content = "free" }
'''


def test_failure_in_one_branch(ctx):
    p = ctx.project(BRANCHES)
    p.write("out/blocked", "a file where the program wants a folder\n")
    r = p.run("deploy", "--yes", "--parallel", "1")
    equal(r.rc, 1, "exit status of a deploy that did not converge")
    golden("branch-failure.deploy", timeless(r.out) + "--- stderr\n" + r.err)
    equal(p.files(), ["main.plat", "out/blocked", "out/free.txt", "out/good/a.txt"],
          "the independent branches were created")
    listed = [line.split("\t")[0] for line in p.ok("state", "list").out.splitlines()]
    equal(listed, ["free", "good", "goodfile"], "state holds what was made")
    # fix it: the next deploy converges
    os.remove(p.path("out/blocked"))
    r = p.ok("deploy", "--yes")
    expect("3 created" in r.out, "the rest created", r)
    sha = p.sha("out/blocked/b.txt")
    equal(p.files(), ["main.plat", "out/after-%s.txt" % sha, "out/blocked/b.txt", "out/free.txt",
                      "out/good/a.txt"], "all files")
    equal(p.ok("plan").out, "No changes.\n", "converged")
