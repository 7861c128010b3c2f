"""lspq's session: a rename for a client that does not take versioned edits gets the plain
WorkspaceEdit.changes form ({uri: [TextEdit]}), one list per file in file order, and a
rename of a component param renames its uses through instances too.  Run by run.py as
`python3 q_changes.py PLATC`."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import expect, path_uri, rng, scratch  # noqa: E402

MAIN = 'component Svc {\n  param name: string\n  output n = name\n}\nresource a: Svc { name = "x" }\n'
OTHER = 'resource b: Svc { name = "y" }\n'


def main():
    with scratch(sys.argv[1], {"app/main.plat": MAIN, "app/other.plat": OTHER}) as (c, root):
        uri = c.open(os.path.join(root, "app/main.plat"), MAIN)
        c.diagnostics(uri)
        r = c.request("textDocument/rename", {"textDocument": {"uri": uri},
                                              "position": {"line": 1, "character": 9},
                                              "newName": "title"})
        other = path_uri(os.path.join(root, "app/other.plat"))
        want = {"changes": {
            uri: [{"range": rng(1, 8, 1, 12), "newText": "title"},
                  {"range": rng(2, 13, 2, 17), "newText": "title"},
                  {"range": rng(4, 18, 4, 22), "newText": "title"}],
            other: [{"range": rng(0, 18, 0, 22), "newText": "title"}]}}
        expect("rename", want, r)
        expect("exit", 0, c.shutdown())


main()
