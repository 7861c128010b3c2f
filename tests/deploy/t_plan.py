"""Plans and deploys through the CLI: every action (create, update, replace, delete,
no-op) with the exact plan text and JSON, every lifecycle option (@protect,
@create_before_destroy, @ignore_changes, @replace_on_change, @depends_on), checked on the
file system and, for the order of operations, in the log of the recording provider
(tests/deploy/providers/platc-provider-rec)."""
import json
import os

from harness import equal, expect, golden, timeless

ACTIONS = '''use local

param v: string = "1"

resource keep: local.File { path = "out/keep.txt", content = "same\\n" }
resource upd: local.File { path = "out/upd.txt", content = "v${v}\\n" }
resource rep: local.File { path = "out/rep-${v}.txt", content = "r\\n" }
resource gone: local.File { path = "out/gone.txt", content = "bye\\n" }
resource dir: local.Directory { path = "out/dir" }
resource secretmode: local.File { path = "${dir.path}/m.txt", content = "m\\n", mode = "0600" }
'''


def plan_json(p, *args):
    j = json.loads(p.ok("plan", "--json", *args).out)
    j["lineage"] = "LINEAGE"
    j["source_hash"] = "HASH"
    return json.dumps(j, indent=2, sort_keys=True) + "\n"


def test_every_action(ctx):
    p = ctx.project(ACTIONS)
    r = p.ok("plan")
    golden("actions-create.plan", r.out)
    golden("actions-create.json", plan_json(p))
    r = p.ok("deploy", "--yes", "--parallel", "1")
    golden("actions-create.deploy", timeless(r.out))
    equal(p.files(), ["main.plat", "out/dir/m.txt", "out/gone.txt", "out/keep.txt",
                      "out/rep-1.txt", "out/upd.txt"], "files after the first deploy")
    equal(p.read("out/upd.txt"), "v1\n", "upd.txt")
    equal(p.mode("out/dir/m.txt"), "0600", "mode of m.txt")
    equal(p.mode("out/dir"), "0755", "mode of out/dir")
    equal(p.ok("plan").out, "No changes.\n", "plan right after a deploy")
    # update, replace, delete and no-op at once
    p.write("main.plat", ACTIONS.replace(
        'resource gone: local.File { path = "out/gone.txt", content = "bye\\n" }\n', ""))
    keep_ino = os.stat(p.path("out/keep.txt")).st_ino
    r = p.ok("plan", "-c", "v=2")
    golden("actions-change.plan", r.out)
    golden("actions-change.json", plan_json(p, "-c", "v=2"))
    r = p.ok("deploy", "--yes", "--parallel", "1", "-c", "v=2")
    golden("actions-change.deploy", timeless(r.out))
    equal(p.files(), ["main.plat", "out/dir/m.txt", "out/keep.txt", "out/rep-2.txt",
                      "out/upd.txt"], "files after the second deploy")
    equal(p.read("out/upd.txt"), "v2\n", "upd.txt updated")
    equal(os.stat(p.path("out/keep.txt")).st_ino, keep_ino, "keep.txt untouched (same inode)")
    equal(p.ok("plan", "-c", "v=2").out, "No changes.\n", "plan after the second deploy")
    # destroy: everything, files before their folder
    r = p.ok("destroy", "--yes", "--parallel", "1")
    golden("actions-destroy.deploy", timeless(r.out))
    equal(p.files(), ["main.plat"], "files after destroy")
    equal(p.dirs(), ["out"], "folders after destroy (out/ was made as a parent, not managed)")
    equal(p.ok("state", "list").out, "", "state after destroy")


def test_deploy_needs_yes_off_a_terminal(ctx):
    p = ctx.project(ACTIONS)
    r = p.fails(1, "deploy")
    expect("not confirmed: nothing was changed (pass --yes when not on a terminal)" in r.err, "message", r)
    equal(p.files(), ["main.plat"], "nothing written")


def test_protect(ctx):
    prog = '''use local

param v: string = "1"

@protect
resource db: local.File { path = "out/db-${v}.json", content = "{}" }
'''
    p = ctx.project(prog)
    p.ok("deploy", "--yes")
    r = p.fails(1, "plan", "-c", "v=2")
    golden("protect-replace.plan", r.out + "--- stderr\n" + r.err)
    r = p.fails(1, "deploy", "--yes", "-c", "v=2")
    expect("db is protected (@protect) and would be replaced" in r.out + r.err, "deploy refused", r)
    r = p.fails(1, "destroy", "--yes")
    golden("protect-destroy.plan", r.out + "--- stderr\n" + r.err)
    equal(p.files(), ["main.plat", "out/db-1.json"], "the protected file is still there")
    # an update in place is allowed
    p.write("main.plat", prog.replace('"{}"', '"{\\"a\\": 1}"'))
    p.ok("deploy", "--yes")
    equal(p.read("out/db-1.json"), '{"a": 1}', "a protected resource is updated in place")


def test_ignore_changes(ctx):
    prog = '''use local

param v: string = "1"

@ignore_changes(content)
resource notes: local.File { path = "out/notes.txt", content = "v${v}\\n", mode = "0644" }
'''
    p = ctx.project(prog)
    p.ok("deploy", "--yes")
    equal(p.ok("plan", "-c", "v=2").out, "No changes.\n", "a content change is ignored")
    p.ok("deploy", "--yes", "-c", "v=2")
    equal(p.read("out/notes.txt"), "v1\n", "the file keeps its first content")
    # an edit by hand is ignored too, even after refresh
    p.write("out/notes.txt", "edited\n")
    p.ok("refresh")
    equal(p.ok("plan").out, "No changes.\n", "drift in an ignored property")
    equal(p.read("out/notes.txt"), "edited\n", "the edit stays")
    # other properties still update
    p.write("main.plat", prog.replace('"0644"', '"0600"'))
    r = p.ok("plan")
    golden("ignore-changes-mode.plan", r.out)
    p.ok("deploy", "--yes")
    equal(p.mode("out/notes.txt"), "0600", "mode updated")
    equal(p.read("out/notes.txt"), "edited\n", "content still ignored")


def test_replace_on_change(ctx):
    prog = '''use local
use rec

param m: string = "0644"

@replace_on_change(mode)
resource f: local.File { path = "out/f.txt", content = "x\\n", mode = m }

@replace_on_change(value)
resource t: rec.Thing { name = "t", value = m }

resource u: rec.Thing { name = "u", value = m }
'''
    p = ctx.project(prog)
    p.ok("deploy", "--yes")
    os.remove(p.path("rec.log"))
    r = p.ok("plan", "-c", "m=0600")
    golden("replace-on-change.plan", r.out)
    r = p.ok("deploy", "--yes", "-c", "m=0600")
    expect("1 updated, 2 replaced" in r.out, "replaced", r)
    equal(p.mode("out/f.txt"), "0600", "new mode")
    log = ops(rec_log(p))
    expect("end delete t" in log and "end create t" in log and "begin update t" not in log,
           "t replaced (deleted, then created), not updated", log)
    expect("end update u" in log and "begin delete u" not in log, "u updated in place", log)


def rec_log(p):
    if not p.exists("rec.log"):
        return []
    with open(p.path("rec.log")) as f:
        return [json.loads(line) for line in f]


def ops(log):
    return ["%s %s %s" % (e["phase"], e["op"], e["name"]) for e in log]


def test_create_before_destroy_order(ctx):
    prog = '''use rec

param v: string = "1"

@create_before_destroy
resource cbd: rec.Thing { name = "cbd-${v}" }

resource plain: rec.Thing { name = "plain-${v}" }
'''
    p = ctx.project(prog)
    p.ok("deploy", "--yes")
    os.remove(p.path("rec.log"))
    r = p.ok("plan", "-c", "v=2")
    golden("create-before-destroy.plan", r.out)
    p.ok("deploy", "--yes", "-c", "v=2")
    log = ops(rec_log(p))
    i = log.index
    expect(i("end create cbd-2") < i("begin delete cbd-1"),
           "create_before_destroy: the new one is made before the old one goes", log)
    expect(i("end delete plain-1") < i("begin create plain-2"),
           "a plain replace deletes first", log)
    equal(sorted(os.listdir(p.path(".rec"))), ["cbd-2.json", "plain-2.json"], "things that exist")


def test_depends_on_order(ctx):
    prog = '''use rec
use local

resource first: rec.Thing { name = "first", sleep_ms = 300 }

@depends_on(first)
resource second: rec.Thing { name = "second" }

@depends_on(first)
resource file: local.File { path = "out/after-first.txt", content = "x" }

resource free: local.File { path = "out/free.txt", content = "y" }
'''
    p = ctx.project(prog)
    r = p.ok("deploy", "--yes", "--log-format", "json")
    events = [json.loads(line) for line in r.out.splitlines()]
    order = ["%s %s" % (e["event"], e.get("address", "")) for e in events]
    i = order.index
    expect(i("done first") < i("start second"), "second starts after first is done", order)
    expect(i("done first") < i("start file"), "a file starts after first is done", order)
    # no dependency: the free file does not wait for the slow one
    expect(i("done free") < i("done first"), "an independent resource is not held back", order)
    log = ops(rec_log(p))
    expect(log.index("end create first") < log.index("begin create second"), "provider order", log)
    # and the state records the explicit dependency
    r = p.ok("state", "show", "file")
    expect("depends on: first" in r.out, "state show lists the dependency", r)
    # destroy deletes in reverse: second before first
    os.remove(p.path("rec.log"))
    p.ok("destroy", "--yes")
    log = ops(rec_log(p))
    expect(log.index("end delete second") < log.index("begin delete first"),
           "destroy deletes the dependant first", log)
