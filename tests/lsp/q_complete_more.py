"""Completion where the scripted sessions do not reach: decorator names after `@` (those
with arguments as snippets), the folders of an `import "..."` path (modules, holding .plat
files, first; hidden folders left out), and the members of a union type for an argument of
a user function (`size("|` and `size(|`).  Run by run.py as `python3 q_complete_more.py PLATC`."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import expect as check, scratch  # noqa: E402

MAIN = '''use local
import "lib/net" as net

type Tier = "web" | "worker"
fn size(t: Tier, n: int): int = n

@
resource page: local.File {
  path = "out/page"
  content = "${size("web", 1)}"
}
output s = size(, 2)
output z = net.zone
'''
FILES = {"app/main.plat": MAIN, "app/lib/net/net.plat": 'let zone = "z"\n',
         "app/lib/notes/readme.md": "x\n", "app/lib/.hidden/x.plat": "let a = 1\n"}


def pos(marker, delta):
    i = MAIN.index(marker) + delta
    return {"line": MAIN[:i].count("\n"), "character": i - (MAIN.rfind("\n", 0, i) + 1)}


def items(c, uri, marker, delta):
    r = c.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": pos(marker, delta)})
    return [(i["label"], i.get("detail"), i["textEdit"]["newText"], i["insertTextFormat"]) for i in r["items"]]


def main():
    with scratch(sys.argv[1], FILES) as (c, root):
        uri = c.open(os.path.join(root, "app/main.plat"), MAIN)
        c.diagnostics(uri)
        check("after @", [
            ("create_before_destroy", "decorator", "create_before_destroy", 1),
            ("depends_on", "decorator", "depends_on(${1:resource})", 2),
            ("ignore_changes", "decorator", "ignore_changes(${1:property})", 2),
            ("protect", "decorator", "protect", 1),
            ("replace_on_change", "decorator", "replace_on_change(${1:property})", 2)],
            items(c, uri, "@\n", 1))
        check("import path after lib/", [("net", "module", "net", 1), ("notes", "folder", "notes", 1)],
              items(c, uri, 'lib/net"', 6))
        check("import path, first segment", [("lib", "folder", "lib", 1)], items(c, uri, '"lib/net"', 1))
        check("union argument in quotes", [("web", "union member", "web", 1),
                                           ("worker", "union member", "worker", 1)],
              items(c, uri, 'size("web"', 6))
        got = items(c, uri, "size(, 2)", 5)
        check("union argument, nothing typed (first items)",
              [('"web"', "union member", '"web"', 1), ('"worker"', "union member", '"worker"', 1)], got[:2])
        check("the second argument is an int: no union", False,
              any(g[1] == "union member" for g in items(c, uri, "size(, 2)", 7)))
        check("exit", 0, c.shutdown())


main()
