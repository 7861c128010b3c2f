"""The server indexes a module right after checking it, while it waits for input, so the
first hover after an edit is a lookup rather than a walk of the whole program: with no
query sent, platc/documentText says `indexed` once the diagnostics are out, after the open
and again after an edit (whose check dropped the old index), and hover then answers from
the new text.  Run by run.py as `python3 s_warm.py PLATC`."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import expect, rng, scratch  # noqa: E402

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
    with scratch(sys.argv[1], {"app/main.plat": MAIN}) as (c, root):
        uri = c.open(os.path.join(root, "app/main.plat"), MAIN)
        expect("diagnostics", [], c.diagnostics(uri))
        checks = wait_indexed(c, uri, 0)
        # an edit: the check drops the index, then a new one is built without a query
        c.change(uri, 2, [{"range": rng(0, 11, 0, 13), "text": '"x"'}])
        expect("diagnostics after the edit", [], c.diagnostics(uri, version=2))
        wait_indexed(c, uri, checks)
        h = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": {"line": 1, "character": 12}})
        expect("hover", "```plat\nlet port: string\n```", h["contents"]["value"][:len("```plat\nlet port: string\n```")])
        expect("exit", 0, c.shutdown())


main()
