"""Diagnostics beyond the open files: an error in a closed file of an imported module is
published (at the URI the editor has for it, "../lib" resolved) while a file importing it is
open, and cleared when fixed; columns on the first line of a closed file that opens with a
UTF-8 byte-order mark count from after the mark; a diagnostic without a file (a module with
no .plat file, a folder that cannot be read) is shown on the module's open document.
Run by run.py as `python3 s_publish.py PLATC`."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import expect as check, path_uri, rng, scratch  # noqa: E402

MAIN = 'import "../lib" as lib\noutput n = lib.count\n'
LIB_BAD = '\ufefflet count: int = "three"\n'
LIB_OK = '\ufefflet count: int = 3\n'


def main():
    with scratch(sys.argv[1], {"app/main.plat": MAIN, "lib/lib.plat": LIB_BAD}, root="") as (c, root):
        os.makedirs(os.path.join(root, "notes"))
        main_uri = c.open(os.path.join(root, "app/main.plat"), MAIN)
        lib_uri = path_uri(os.path.join(root, "lib/lib.plat"))
        check("main.plat", [], c.diagnostics(main_uri))
        # the imported file is closed: its error is still shown, columns after the BOM
        d = c.diagnostics(lib_uri)
        check("lib.plat codes", ["E0300"], [x["code"] for x in d])
        check("lib.plat range (after the BOM)", rng(0, 17, 0, 24), d[0]["range"])
        # fixed on disk: the watched-file notice re-checks and clears it
        with open(os.path.join(root, "lib/lib.plat"), "w", encoding="utf-8") as f:
            f.write(LIB_OK)
        c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": lib_uri, "type": 2}]})
        check("lib.plat fixed", [], c.diagnostics(lib_uri))
        # a document whose module has no .plat file: E0502 has no file, shown on it
        notes = c.open(os.path.join(root, "notes/todo.txt"), "let x = 1\n")
        d = c.diagnostics(notes)
        check("no-file diagnostic codes", ["E0502"], [x["code"] for x in d])
        check("no-file diagnostic range", rng(0, 0, 0, 0), d[0]["range"])
        # a folder that cannot be read (only when not root: root reads everything)
        if os.geteuid() != 0:
            locked = os.path.join(root, "locked")
            os.makedirs(locked)
            with open(os.path.join(locked, "a.plat"), "w") as f:
                f.write("let a = 1\n")
            os.chmod(locked, 0o300)   # no read: the folder cannot be listed
            try:
                u = c.open(os.path.join(locked, "a.plat"), "let a = 1\n")
                d = c.diagnostics(u)
                check("unreadable folder", ["E0505"], [x["code"] for x in d])
            finally:
                os.chmod(locked, 0o700)
        check("exit", 0, c.shutdown())


main()
