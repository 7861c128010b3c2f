"""The server indexes a module right after checking it (before publishing its
diagnostics, when no input is waiting), so the first hover after an edit is a lookup
rather than a walk of the whole program: with no query sent, the first
platc/documentText after the diagnostics says `indexed`, after the open and again after an
edit (whose check dropped the old index), and hover then answers from the new text.  That
the index is ready before the diagnostics go out, rather than soon after, is a latency:
bench/lsp measures it ("first hover after an edit").  Run by run.py as
`python3 s_warm.py PLATC`."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import expect, rng, scratch  # noqa: E402

MAIN = 'let port = 80\noutput p = port\n'


def indexed_now(c, uri, checks_before):
    """The module is checked again and already indexed: asked once, right away."""
    r = c.request("platc/documentText", {"textDocument": {"uri": uri}})
    if not (r["indexed"] and r["checks"] > checks_before):
        raise AssertionError("the diagnostics came before the index: %r" % r)
    return r["checks"]


def main():
    with scratch(sys.argv[1], {"app/main.plat": MAIN}) as (c, root):
        uri = c.open(os.path.join(root, "app/main.plat"), MAIN)
        expect("diagnostics", [], c.diagnostics(uri))
        checks = indexed_now(c, uri, 0)
        # an edit: the check drops the index, then a new one is built without a query
        c.change(uri, 2, [{"range": rng(0, 11, 0, 13), "text": '"x"'}])
        expect("diagnostics after the edit", [], c.diagnostics(uri, version=2))
        indexed_now(c, uri, checks)
        h = c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": {"line": 1, "character": 12}})
        expect("hover", "```plat\nlet port: string\n```", h["contents"]["value"][:len("```plat\nlet port: string\n```")])
        expect("exit", 0, c.shutdown())


main()
