"""The deploy tests' harness: temp project folders, platc run as a real process, exact
goldens, and a pass/fail count.  Used by tests/deploy/run.py; nothing here knows about a
particular test.  Every platc run gets NO_COLOR=1, a stdin that is not a terminal and the
test providers of tests/deploy/providers on PLAT_PROVIDER_PATH."""
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
UPDATE = os.environ.get("UPDATE") == "1"


class Failure(Exception):
    pass


class Result:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    def __repr__(self):
        return "platc %s -> exit %d\n--- stdout\n%s--- stderr\n%s" % (
            " ".join(self.args), self.rc, self.out, self.err)


class Project:
    """A project folder under a temp root: write files, run platc in it, look at the disk."""

    def __init__(self, ctx, name):
        self.ctx = ctx
        self.dir = os.path.join(ctx.tmp, name)
        os.makedirs(self.dir)

    def path(self, rel):
        return os.path.join(self.dir, rel)

    def write(self, rel, text):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def exists(self, rel):
        return os.path.lexists(self.path(rel))

    def env(self, extra=None):
        e = dict(os.environ)
        e["NO_COLOR"] = "1"
        e["PLAT_PROVIDER_PATH"] = os.path.join(HERE, "providers")
        e.pop("PLAT_PASSPHRASE", None)
        if extra:
            e.update(extra)
        return e

    def run(self, *args, env=None, stdin=None, timeout=120):
        p = subprocess.run([self.ctx.platc] + list(args), cwd=self.dir, env=self.env(env),
                           input=stdin if stdin is not None else "", capture_output=True,
                           text=True, timeout=timeout)
        r = Result(list(args), p.returncode, p.stdout, p.stderr)
        self.ctx.outputs.append(r.out + r.err)
        return r

    def start(self, *args, env=None):
        """platc as a background process (stdout and stderr to files in the temp root)."""
        self.ctx.nbg += 1
        out = open(os.path.join(self.ctx.tmp, "bg%d.out" % self.ctx.nbg), "w+")
        proc = subprocess.Popen([self.ctx.platc] + list(args), cwd=self.dir, env=self.env(env),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        proc.log = out.name      # what it printed, once it has ended
        return proc

    def ok(self, *args, **kw):
        """Run platc and require exit 0."""
        r = self.run(*args, **kw)
        if r.rc != 0:
            raise Failure("expected exit 0:\n%r" % r)
        return r

    def fails(self, rc, *args, **kw):
        r = self.run(*args, **kw)
        if r.rc != rc:
            raise Failure("expected exit %d:\n%r" % (rc, r))
        return r

    def files(self, under="."):
        """Every file and symlink under [under] (relative to the project), sorted, .plat/
        left out."""
        found = []
        base = os.path.normpath(self.path(under))
        for root, dirs, names in os.walk(base):
            dirs[:] = [d for d in dirs if not (root == self.dir and d == ".plat")]
            for n in names:
                found.append(os.path.relpath(os.path.join(root, n), self.dir))
        return sorted(found)

    def dirs(self, under="."):
        found = []
        for root, dirs, _ in os.walk(os.path.normpath(self.path(under))):
            dirs[:] = [d for d in dirs if not (root == self.dir and d == ".plat")]
            for d in dirs:
                found.append(os.path.relpath(os.path.join(root, d), self.dir))
        return sorted(found)

    def sha(self, rel):
        with open(self.path(rel), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def mode(self, rel):
        return "%04o" % (os.stat(self.path(rel)).st_mode & 0o7777)


class Context:
    def __init__(self, platc):
        self.platc = platc
        self.tmp = tempfile.mkdtemp(prefix="plat-deploy.")
        self.outputs = []      # every command's stdout+stderr, for the secrets test
        self.nbg = 0
        self.nproj = 0
        self.checks = 0

    def project(self, main=None, name=None):
        self.nproj += 1
        p = Project(self, name or "p%d" % self.nproj)
        if main is not None:
            p.write("main.plat", main)
        return p

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_for(pred, what, timeout=20.0):
    """Poll [pred] until it holds (a background platc reaching some point)."""
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise Failure("timed out waiting for " + what)
        time.sleep(0.02)


def timeless(text):
    """Progress lines without their times, for goldens."""
    text = re.sub(r"\[ *\d+\.\d+s\]", "[T]", text)
    text = re.sub(r"\(\d+\.\d+s\)", "(T)", text)
    return re.sub(r" in \d+\.\d+s\.", " in T.", text)


def expect(cond, what, detail=None):
    if not cond:
        raise Failure(what + ("\n" + str(detail) if detail is not None else ""))


def equal(got, want, what):
    if got != want:
        raise Failure("%s:\n  want %r\n  got  %r" % (what, want, got))


def golden(name, text):
    """[text] must equal tests/deploy/golden/[name] exactly (UPDATE=1 rewrites it)."""
    path = os.path.join(GOLDEN, name)
    if UPDATE:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return
    try:
        with open(path) as f:
            want = f.read()
    except FileNotFoundError:
        raise Failure("golden %s is missing (UPDATE=1 writes it); got:\n%s" % (name, text))
    if want != text:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                            "golden/" + name, "got"))
        raise Failure("golden %s differs:\n%s" % (name, diff))
