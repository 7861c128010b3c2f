"""The lock, corrupt state, secrets, stacks and config, saved plans, import, the state
commands and refresh — through the CLI, on temp project folders."""
import json
import os
import signal
import socket

from harness import equal, expect, golden, wait_for


LOCK = ".plat/stacks/dev/lock"


# ---- the lock --------------------------------------------------------------------------
def test_second_concurrent_deploy_refused(ctx):
    p = ctx.project('use rec\n\nresource a: rec.Thing { name = "a", sleep_ms = 20000 }\n')
    first = p.start("deploy", "--yes")
    try:
        wait_for(lambda: p.exists("rec.log"), "the first deploy to reach its provider")
        holder = "the stack is locked by %s on %s (pid %d, platc deploy) since " % (
            os.environ.get("USER") or __import__("pwd").getpwuid(os.getuid()).pw_name,
            socket.gethostname(), first.pid)
        for cmd in (["deploy", "--yes"], ["plan"], ["destroy", "--yes"], ["refresh"],
                    ["state", "rm", "a"]):
            r = p.fails(1, *cmd)
            expect(holder in r.err and "wait for that run to finish" in r.err,
                   "platc %s refused, naming the holder" % cmd[0], r)
        r = p.fails(1, "state", "unlock")
        expect("which is running on this machine; stop it rather than unlocking" in r.err,
               "unlock refuses a live holder", r)
        equal(open(p.path("rec.log")).read().count('"begin"'), 1, "only the first run acted")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # the holder died: the next run takes the lock over, with a warning
    p.write("main.plat", 'use rec\n\nresource a: rec.Thing { name = "a" }\n')
    r = p.run("deploy", "--yes")
    expect("warning: took over the lock of" in r.err and "which is no longer running" in r.err,
           "takeover warning", r)


def test_lock_held_by_flock(ctx):
    """Another process holding flock on the lock file, with its holder written in it."""
    import fcntl
    p = ctx.project("use local\n")
    p.ok("stack", "init", "dev")
    fd = os.open(p.path(LOCK), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, json.dumps({"host": "build-7", "operation": "deploy", "owner": "ann",
                                 "pid": 4242, "time": "2026-11-26T12:00:00Z"}).encode())
        r = p.fails(1, "deploy", "--yes")
        equal(r.err, "platc deploy: the stack is locked by ann on build-7 (pid 4242, platc "
              "deploy) since 2026-11-26T12:00:00Z; wait for that run to finish\n", "message")
    finally:
        os.close(fd)
    # released, but the file names a holder on another host: unlock is needed
    r = p.fails(1, "deploy", "--yes")
    expect("if that run is gone, free the lock with `platc state unlock`" in r.err,
           "another host's lock is not taken over", r)
    r = p.ok("state", "unlock")
    equal(r.out, "Freed the lock of stack 'dev' held by ann on build-7 (pid 4242, platc "
          "deploy) since 2026-11-26T12:00:00Z.\n", "unlock")
    equal(p.ok("state", "unlock").out, "Stack 'dev' was not locked.\n", "unlock again")
    p.ok("deploy", "--yes")


def test_dead_holder_on_this_host_taken_over(ctx):
    p = ctx.project("use local\n")
    p.ok("stack", "init", "dev")
    with open(p.path(LOCK), "w") as f:
        json.dump({"host": socket.gethostname(), "operation": "deploy", "owner": "ann",
                   "pid": 999999, "time": "2026-01-01T00:00:00Z"}, f)
    r = p.ok("plan")
    equal(r.err, "platc plan: warning: took over the lock of ann on %s (pid 999999, platc "
          "deploy) since 2026-01-01T00:00:00Z, which is no longer running\n" % socket.gethostname(),
          "warning")
    equal(p.read(LOCK), "", "the lock file is cleared once the run ends")


# ---- corrupt state ---------------------------------------------------------------------
STATE = ".plat/stacks/dev/state.json"


def test_corrupt_state_refused_and_unchanged(ctx):
    p = ctx.project('use local\n\nresource f: local.File { path = "out/f.txt", content = "x" }\n')
    p.ok("deploy", "--yes")
    good = json.loads(p.read(STATE))
    text = p.read(STATE)
    newer = dict(good, format_version=2)
    wrong = json.loads(text)
    wrong["resources"][0]["type"] = 7
    cases = {
        "truncated": (text[: len(text) // 2], "corrupt state"),
        "empty": ("", "corrupt state"),
        "wrong types": (json.dumps(wrong), "resources[0].type: expected a string"),
        "newer format": (json.dumps(newer), "state format 2 is newer than this platc reads (1)"),
        "not an object": ("[1, 2]", "corrupt state"),
    }
    for name, (content, want) in cases.items():
        p.write(STATE, content)
        before = p.sha(STATE)
        for cmd in (["plan"], ["deploy", "--yes"], ["state", "list"], ["output"], ["refresh"],
                    ["destroy", "--yes"]):
            r = p.fails(1, *cmd)
            expect(want in r.err and "state.json" in r.err,
                   "%s: platc %s names the file and the problem" % (name, cmd[0]), r)
            equal(p.sha(STATE), before, "%s: the file is unchanged after platc %s" % (name, cmd[0]))
        equal(p.files(), ["main.plat", "out/f.txt"], "%s: nothing deployed or destroyed" % name)
    r = p.fails(1, "plan")
    expect("left as it is" in r.err, "says it was left alone", r)


# ---- secrets ---------------------------------------------------------------------------
SECRETS = '''use local
use random

param token: secret string
param env: string = "dev"

resource pw: random.Password { length = 24 }

resource conf: local.File {
  path    = "out/${env}.conf"
  content = "token=${token}\\npw=${pw.result}\\n"
  mode    = "0600"
}

output password: secret string = pw.result
output confPath = conf.path
'''


def test_no_secret_in_plaintext(ctx):
    token = "hunter2-plaintext-token"
    p = ctx.project(SECRETS)
    r = p.fails(1, "plan")
    expect("token" in r.err and "has no value" in r.err, "a missing required param is named", r)
    equal(p.ok("config", "set", "--secret", "token", token).out,
          "Set token (secret) on stack 'dev'.\n", "config set --secret")
    runs = [p.ok("plan"), p.ok("plan", "--json"), p.ok("deploy", "--yes"),
            p.ok("deploy", "--yes", "--log-format", "json"), p.ok("output"),
            p.ok("output", "--json"), p.ok("output", "password"), p.ok("state", "list"),
            p.ok("state", "show", "conf"), p.ok("state", "show", "pw"), p.ok("config", "get", "token"),
            p.ok("config", "ls"), p.ok("refresh"), p.ok("graph", ".", "-c", "token=" + token)]
    p.ok("plan", "-o", "saved.platplan")
    pw = p.ok("output", "password", "--show-secrets").out.strip()
    equal(len(pw), 24, "--show-secrets shows the password")
    equal(p.ok("config", "get", "token", "--show-secrets").out, token + "\n", "config get --show-secrets")
    shown = p.ok("state", "show", "pw", "--show-secrets").out
    expect('result = "%s"' % pw in shown, "state show --show-secrets", shown)
    equal(p.read("out/dev.conf"), "token=%s\npw=%s\n" % (token, pw), "the file has the real values")
    # every command's output, and every file under .plat/ and the saved plan
    for r in runs:
        for s in (token, pw):
            expect(s not in r.out + r.err, "a secret in the output of platc %s" % " ".join(r.args), r)
    expect("[secret]" in runs[0].out and "[secret]" in runs[4].out, "redacted as [secret]")
    for root, _, names in os.walk(p.path(".plat")):
        for n in names:
            with open(os.path.join(root, n), "rb") as f:
                data = f.read()
            for s in (token, pw):
                expect(s.encode() not in data, "a secret in plaintext in %s" % os.path.join(root, n))
    with open(p.path("saved.platplan"), "rb") as f:
        data = f.read()
    expect(token.encode() not in data and pw.encode() not in data, "a secret in the saved plan")
    # the state holds them sealed, and a passphrase-derived key works the same
    st = json.loads(p.read(STATE))
    expect("$sealed" in json.dumps(st), "sealed values in state")


def test_secrets_with_a_passphrase(ctx):
    env = {"PLAT_PASSPHRASE": "correct horse battery staple"}
    p = ctx.project(SECRETS)
    p.ok("config", "set", "--secret", "token", "tok-123456", env=env)
    p.ok("deploy", "--yes", env=env)
    expect(not p.exists(".plat/stacks/dev/key"), "no key file with a passphrase")
    expect(p.exists(".plat/stacks/dev/salt"), "a salt file")
    equal(p.ok("config", "get", "token", "--show-secrets", env=env).out, "tok-123456\n", "opens")
    r = p.fails(1, "plan", env={"PLAT_PASSPHRASE": "wrong"})
    expect("tok-123456" not in r.out + r.err, "no secret in the error", r)


# ---- stacks and config -----------------------------------------------------------------
def test_stacks_and_config(ctx):
    prog = '''use local

param env: string
param replicas: int = 1

resource f: local.File { path = "out/${env}.txt", content = "replicas=${replicas}\\n" }
'''
    p = ctx.project(prog)
    equal(p.ok("stack", "ls").out, "No stacks yet: the first deploy makes 'dev'.\n", "no stacks")
    r = p.fails(1, "deploy", "--yes")
    expect("the required param 'env' has no value" in r.out + r.err, "missing param named", r)
    equal(p.ok("stack", "ls").out, "* dev\n", "dev made on first use")
    p.ok("config", "set", "env", "dev")
    p.ok("deploy", "--yes")
    equal(p.read("out/dev.txt"), "replicas=1\n", "dev deployed")
    equal(p.ok("stack", "init", "prod").out, "Created stack 'prod' and selected it.\n", "init")
    equal(p.ok("stack", "ls").out, "  dev\n* prod\n", "ls")
    r = p.fails(1, "config", "get", "env")
    equal(r.err, "platc config: 'env' is not set on stack 'prod'\n", "config is per stack")
    p.ok("config", "set", "env", "prod")
    p.ok("config", "set", "replicas", "3")
    equal(p.ok("config", "get", "replicas").out, "3\n", "config get")
    equal(p.ok("config", "ls").out, "env = prod\nreplicas = 3\n", "config ls")
    p.ok("deploy", "--yes")
    equal(p.read("out/prod.txt"), "replicas=3\n", "prod deployed with its config")
    # -c overrides the stored value for one run
    r = p.ok("plan", "-c", "replicas=5")
    expect('content = "replicas=3\\n" -> "replicas=5\\n"' in r.out, "-c override", r)
    equal(p.ok("config", "rm", "replicas").out, "Removed replicas from stack 'prod'.\n", "rm")
    r = p.ok("plan")
    expect('"replicas=3\\n" -> "replicas=1\\n"' in r.out, "the default again", r)
    r = p.fails(1, "config", "rm", "replicas")
    equal(r.err, "platc config: 'replicas' is not set on stack 'prod'\n", "rm twice")
    # --stack picks one without selecting it
    equal(p.ok("output", "--stack", "dev").out, "", "no outputs")
    equal(p.ok("state", "list", "--stack", "dev").out.split("\t")[0], "f", "dev's state")
    r = p.fails(1, "stack", "select", "nope")
    expect("nope" in r.err, "an unknown stack", r)
    equal(p.ok("stack", "select", "dev").out, "Selected stack 'dev'.\n", "select")
    equal(p.ok("stack", "ls").out, "* dev\n  prod\n", "ls after select")
    r = p.fails(1, "stack", "rm", "prod")
    expect("destroy" in r.err, "a stack with resources is not removed", r)
    p.ok("destroy", "--yes", "--stack", "prod")
    equal(p.files(), ["main.plat", "out/dev.txt"], "prod destroyed, dev kept")
    equal(p.ok("stack", "rm", "prod").out, "Removed stack 'prod'.\n", "rm")
    equal(p.ok("stack", "ls").out, "* dev\n", "ls after rm")
    r = p.fails(2, "stack", "init", "../evil")
    expect("not a valid stack name" in r.err, "stack names are checked", r)


# ---- saved plans -----------------------------------------------------------------------
def test_saved_plan(ctx):
    prog = '''use local

param v: string = "1"

resource a: local.File { path = "out/a.txt", content = "a${v}" }
resource b: local.File { path = "out/b.txt", content = "b${v}" }
'''
    p = ctx.project(prog)
    r = p.ok("plan", "-o", "first.platplan")
    expect("Saved the plan to first.platplan" in r.out, "saved", r)
    r = p.ok("deploy", "first.platplan")
    expect("2 created" in r.out, "applied without --yes (it was reviewed)", r)
    equal(p.files(), ["first.platplan", "main.plat", "out/a.txt", "out/b.txt"], "files")
    # a plan made, then the program changes: exactly the saved plan, or nothing
    p.ok("plan", "-c", "v=2", "-o", "second.platplan")
    p.write("main.plat", prog.replace('"b${v}"', '"B${v}"'))
    r = p.fails(1, "deploy", "second.platplan")
    expect("changed since the plan was made: make a new plan" in r.err, "program changed", r)
    equal(p.read("out/b.txt"), "b1", "nothing applied")
    p.write("main.plat", prog)
    r = p.ok("deploy", "second.platplan")
    equal((p.read("out/a.txt"), p.read("out/b.txt")), ("a2", "b2"), "the saved config applied")
    # the state moved on since the plan: refused
    p.ok("plan", "-c", "v=3", "-o", "third.platplan")
    p.ok("deploy", "--yes", "-c", "v=4")
    before = p.sha(STATE)
    r = p.fails(1, "deploy", "third.platplan")
    expect("moved on since the plan was made" in r.err and "make a new plan" in r.err,
           "state moved on", r)
    equal(p.sha(STATE), before, "state untouched")
    equal(p.read("out/a.txt"), "a4", "nothing applied")
    r = p.fails(2, "deploy", "nope.platplan")
    expect("nope.platplan: not a plan written by `platc plan -o`" in r.err, "a missing plan file", r)


# ---- import, state commands, refresh ------------------------------------------------------
def test_import_state_refresh(ctx):
    prog = '''use local

resource kept: local.File { path = "out/kept.txt", content = "mine\\n" }
resource other: local.File { path = "out/other.txt", content = "other\\n" }
'''
    p = ctx.project(prog)
    p.write("out/kept.txt", "made by hand\n")
    r = p.ok("import", "kept", "out/kept.txt")
    equal(r.out, "Imported kept (id out/kept.txt) into stack 'dev'. Run `platc plan` to see "
          "how it differs from the program.\n", "import")
    r = p.ok("plan")
    golden("import.plan", r.out)
    r = p.fails(1, "import", "nothere", "out/x.txt")
    expect("nothere" in r.err, "import of an address the program lacks", r)
    p.ok("deploy", "--yes")
    equal(p.read("out/kept.txt"), "mine\n", "imported, then updated")
    equal(p.ok("state", "list").out, "kept\tlocal.File\tout/kept.txt\nother\tlocal.File\tout/other.txt\n",
          "state list")
    golden("state-show.txt", p.ok("state", "show", "kept").out)
    # drift: an edit by hand and a deletion
    p.write("out/kept.txt", "edited\n")
    os.remove(p.path("out/other.txt"))
    r = p.ok("refresh", "--dry-run")
    golden("refresh-dry.txt", r.out)
    r = p.ok("refresh")
    golden("refresh.txt", r.out)
    r = p.ok("plan")
    golden("after-refresh.plan", r.out)
    p.ok("deploy", "--yes")
    equal(p.read("out/kept.txt"), "mine\n", "drift repaired")
    equal(p.ok("refresh").out, "No drift: the 2 resources of stack 'dev' are as the state says.\n",
          "no drift")
    # deploy --refresh sees drift first
    p.write("out/other.txt", "edited again\n")
    r = p.ok("deploy", "--yes", "--refresh")
    expect("drift: other was changed outside platc" in r.out and "1 updated" in r.out,
           "deploy --refresh", r)
    # state mv / rm
    equal(p.ok("state", "mv", "other", "renamed").out, "Moved other to renamed.\n", "mv")
    r = p.fails(1, "state", "mv", "nothere", "x")
    equal(r.err, "platc state: no resource at nothere in stack 'dev'\n", "mv of nothing")
    r = p.fails(1, "state", "mv", "kept", "renamed")
    equal(r.err, "platc state: renamed is already in stack 'dev'\n", "mv onto another")
    equal(p.ok("state", "rm", "renamed").out,
          "Forgot renamed: it still exists, but platc no longer manages it.\n", "rm")
    equal(p.ok("state", "list").out, "kept\tlocal.File\tout/kept.txt\n", "after rm")
    expect(p.exists("out/other.txt"), "state rm leaves the file")
    r = p.fails(1, "state", "show", "renamed")
    equal(r.err, "platc state: no resource at renamed in stack 'dev'\n", "show of nothing")
