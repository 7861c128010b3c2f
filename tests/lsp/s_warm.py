"""The server indexes a module right after checking it, while it waits for input, so the
first hover after an edit is a lookup rather than a walk of the whole program: with no
query sent, platc/documentText says `indexed` once the diagnostics are out, after the open
and again after an edit (whose check dropped the old index), and hover then answers from
the new text.  Run by run.py as `python3 s_warm.py PLATC`."""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import Client, rng  # noqa: E402

MAIN = 'let port = 80\noutput p = port\n'


def wait_indexed(c, uri, checks_before):
    end = time.time() + 10
    while time.time() < end:
        r = c.request("platc/documentText", {"textDocument": {"uri": uri}})
        if r["indexed"] and r["checks"] > checks_before:
            return r["checks"]
        time.sleep(0.02)
    raise AssertionError("the module was not indexed without a query: %r" % r)


def main():
    platc = sys.argv[1]
    root = tempfile.mkdtemp(prefix="platc-lsp-")
    c = None
    try:
        os.makedirs(os.path.join(root, "app"))
        with open(os.path.join(root, "app/main.plat"), "w") as f:
            f.write(MAIN)
        c = Client(platc, env={"XDG_CACHE_HOME": os.path.join(root, ".cache")})
        c.initialize(root=os.path.join(root, "app"))
        uri = c.open(os.path.join(root, "app/main.plat"), MAIN)
        assert c.diagnostics(uri) == []
        checks = wait_indexed(c, uri, 0)
        # an edit: the check drops the index, then a new one is built without a query
        c.change(uri, 2, [{"range": rng(0, 11, 0, 13), "text": '"x"'}])
        assert c.diagnostics(uri, version=2) == []
        r = c.request("platc/documentText", {"textDocument": {"uri": uri}})
        wait_indexed(c, uri, checks)
        h = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": {"line": 1, "character": 12}})
        want = "```plat\nlet port: string\n```"
        assert h["contents"]["value"].startswith(want), h
        assert c.shutdown() == 0
    finally:
        if c:
            c.kill()
        shutil.rmtree(root, ignore_errors=True)


main()
