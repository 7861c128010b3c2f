"""The editor files are well-formed and agree with the server: the VS Code extension's
JSON parses, declares the `plat` language for .plat with the configuration and grammar it
ships, starts `platc lsp` by default, and every TextMate pattern compiles (checked with
Python's re, which accepts the subset the grammar uses) and colours a sample as expected;
the Neovim snippet starts `platc lsp` for the `plat` file type; the VS Code client, loaded by
node against stand-ins for the vscode modules, shows the Markdown of the server's
`platc.explain` answer in a preview."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VS = os.path.join(ROOT, "editors", "vscode")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def patterns(node, out):
    if isinstance(node, dict):
        for k in ("match", "begin", "end"):
            if k in node:
                out.append(node[k])
        for v in node.values():
            patterns(v, out)
    elif isinstance(node, list):
        for v in node:
            patterns(v, out)


def main():
    pkg = json.load(open(os.path.join(VS, "package.json")))
    lang = pkg["contributes"]["languages"][0]
    check(lang["id"] == "plat" and lang["extensions"] == [".plat"], lang)
    check(os.path.exists(os.path.join(VS, lang["configuration"])), "language configuration")
    json.load(open(os.path.join(VS, lang["configuration"])))
    gram = pkg["contributes"]["grammars"][0]
    g = json.load(open(os.path.join(VS, gram["path"])))
    check(g["scopeName"] == gram["scopeName"] == "source.plat", gram)
    props = pkg["contributes"]["configuration"]["properties"]
    check(props["plat.server.path"]["default"] == "platc" and props["plat.server.args"]["default"] == ["lsp"], props)
    main_js = open(os.path.join(VS, pkg["main"])).read()
    check("plat.server" not in main_js or "server.path" in main_js, "extension reads the settings")
    check("vscode-languageclient" in pkg["dependencies"], pkg["dependencies"])
    pats = []
    patterns(g["repository"], pats)
    for p in pats:
        if p in ("$self",):
            continue
        re.compile(p)
    kw = [x for x in g["repository"]["keywords"]["patterns"] if x["name"] == "keyword.other.plat"][0]
    check(re.search(kw["match"], "resource x: local.File {}"), "keywords")
    dec = g["repository"]["declarations"]["patterns"][0]
    m = re.search(dec["match"], "resource api: Service {")
    check(m and m.group(2) == "api", "declaration names")
    nvim = open(os.path.join(ROOT, "editors", "nvim", "plat.lua")).read()
    check('{ "platc", "lsp" }' in nvim and 'pattern = "plat"' in nvim and "plat = \"plat\"" in nvim, "nvim")
    check(shutil.which("node") is not None, "node is needed (make deps installs nodejs)")
    r = subprocess.run(["node", "--check", os.path.join(VS, pkg["main"])], capture_output=True, text=True)
    check(r.returncode == 0, r.stderr)
    explain_in_vscode(os.path.join(VS, pkg["main"]))
    print("ok")


def explain_in_vscode(ext):
    """The client shows what the server's platc.explain answers (run against stand-ins)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from driver import Client  # noqa: E402
    tmp = tempfile.mkdtemp(prefix="platc-vscode-")
    c = Client(sys.argv[1], env={"XDG_CACHE_HOME": tmp})
    try:
        c.initialize(root=tmp)
        answer = c.request("workspace/executeCommand", {"command": "platc.explain", "arguments": ["E0207"]})
        check(answer["code"] == "E0207" and "E0207" in answer["markdown"], answer)
        check(c.shutdown() == 0, "exit")
        path = os.path.join(tmp, "answer.json")
        with open(path, "w") as f:
            json.dump(answer, f)
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vscode_explain.js")
        r = subprocess.run(["node", here, os.path.abspath(ext), path], capture_output=True, text=True)
        check(r.returncode == 0 and r.stdout.strip() == "ok", r.stdout + r.stderr)
    finally:
        c.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
