"""Fuzz-style session: 10,000 random incremental edits (half-typed code, emoji and other
surrogate pairs, \\r\\n and lone \\r, positions past the end of lines and of the document,
positions inside surrogate pairs, reversed ranges) sent in bursts, with the server's copy of
the buffer compared to the driver's model after every burst (platc/documentText), features
asked at random positions on whatever the text has become, raw bodies with invalid UTF-8
(a parse error each, and the server goes on), and a file with invalid UTF-8 on disk in the
same module.  The server must answer every request and exit 0 after shutdown: under ASan
that also means LeakSanitizer found no leak.  LSP_FUZZ_EDITS and LSP_FUZZ_SEED vary it."""
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import Client, pos_to_index, rng  # noqa: E402

FRAGMENTS = [
    "resource ", "f: local.File { path = \"a\", content = \"b\" }\n", "let ", "x", " = ", "1",
    "[", "]", "{", "}", "(", ")", "\"", "${", "\n", "\r\n", "\r", "  ", "component C {\n",
    "param p: int = 3\n", "output o = ", "use local\n", "// comment\n", "/* block ", "*/",
    "😀", "𝔘", "é", "中文", "\u200b", "\t", "if x then 1 else 2", "fn f(a: int): int = a + 1\n",
    "type T = \"a\" | \"b\"\n", "policy \"p\" for f: local.File { deny true : \"m\" }\n",
    "@protect\n", "\"\"\"\nmulti\n\"\"\"", "0x", "1_000", "99999999999999999999", "\\", "'", "#",
    "test \"t\" {\n assert 1 == 1\n}\n", "import \"../x\" as x\n", ".", "x.y.z", "??", "&&",
]
SEED_TEXT = 'use local\n\nlet name = "a😀b"\nresource f: local.File {\n  path = name\n}\n'


def main(platc):
    seed = int(os.environ.get("LSP_FUZZ_SEED", "5"))
    edits = int(os.environ.get("LSP_FUZZ_EDITS", "10000"))
    rnd = random.Random(seed)
    root = tempfile.mkdtemp(prefix="platc-lsp-fuzz-")
    c = None
    try:
        os.makedirs(os.path.join(root, "app"))
        path = os.path.join(root, "app", "main.plat")
        open(path, "w").write(SEED_TEXT)
        with open(os.path.join(root, "app", "bad.plat"), "wb") as f:
            f.write(b"let bad = \"\xff\xfe\"\n// \xc3\n")
        c = Client(platc, env={"XDG_CACHE_HOME": os.path.join(root, "cache")})
        caps = c.initialize(root=root)["capabilities"]
        queries = [m for cap, m in [("hoverProvider", "textDocument/hover"),
                                    ("completionProvider", "textDocument/completion"),
                                    ("definitionProvider", "textDocument/definition"),
                                    ("signatureHelpProvider", "textDocument/signatureHelp"),
                                    ("documentHighlightProvider", "textDocument/documentHighlight")]
                   if cap in caps]
        text = SEED_TEXT
        uri = c.open(path, text)
        version = 1
        done = 0
        while done < edits:
            burst = rnd.randint(1, 40)
            for _ in range(burst):
                nlines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
                def pos():
                    line = rnd.randint(0, nlines + 1) if rnd.random() < 0.95 else rnd.randint(0, 10 ** 6)
                    return line, rnd.randint(0, 120) if rnd.random() < 0.97 else 10 ** 7
                a, b = pos(), pos()
                if rnd.random() < 0.1:
                    a, b = b, a          # reversed: the server takes the end as the start
                k = rnd.random()
                if k < 0.5:
                    ins = "".join(rnd.choice(FRAGMENTS) for _ in range(rnd.randint(1, 3)))
                elif k < 0.6:
                    ins = "".join(rnd.choice("abc{}[]()\"$\\\n\r😀 =.,:") for _ in range(rnd.randint(1, 8)))
                else:
                    ins = ""
                if rnd.random() < 0.5:
                    b = a                # a pure insertion
                version += 1
                s, e = pos_to_index(text, *a), pos_to_index(text, *b)
                if e < s:
                    e = s
                text = text[:s] + ins + text[e:]
                c.change(uri, version, [{"range": rng(a[0], a[1], b[0], b[1]), "text": ins}])
                done += 1
                if len(text) > 20000:   # keep it small: start again from the seed text
                    version += 1
                    text = SEED_TEXT
                    c.change(uri, version, [{"text": text}])
            got = c.request("platc/documentText", {"textDocument": {"uri": uri}})
            if got["text"] != text or got["version"] != version:
                raise AssertionError("after %d edits (seed %d) the server's text differs:\n%r\n%r" %
                                     (done, seed, got["text"][:400], text[:400]))
            r = rnd.random()
            line = rnd.randint(0, text.count("\n") + 1)
            p = {"textDocument": {"uri": uri}, "position": {"line": line, "character": rnd.randint(0, 30)}}
            if r < 0.15:
                c.request("textDocument/semanticTokens/full", {"textDocument": {"uri": uri}})
            elif r < 0.25:
                c.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
                c.request("textDocument/foldingRange", {"textDocument": {"uri": uri}})
            elif r < 0.3:
                resp = c.request_raw("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {}})
                if "error" in resp and resp["error"]["code"] != -32803:
                    raise AssertionError(resp)
            elif r < 0.35:
                body = b'{"jsonrpc":"2.0","id":1,"method":"x\xff\xfe"}'
                c.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                resp = c.wait_response(None)
                if resp["error"]["code"] != -32700:
                    raise AssertionError(resp)
            elif queries and r < 0.6:
                resp = c.request_raw(rnd.choice(queries), p)
                if "error" in resp and resp["error"]["code"] in (-32601, -32603, -32700):
                    raise AssertionError(resp)
            c.notes.clear()
        checks = c.request("platc/documentText", {"textDocument": {"uri": uri}})["checks"]
        if checks < edits // 200:   # the checker really ran on the edited text, many times
            raise AssertionError("only %d checks for %d edits" % (checks, done))
        status = c.shutdown(timeout=120)
        err = c.stderr.decode(errors="replace")
        if status != 0 or "Sanitizer" in err or "runtime error" in err:
            raise AssertionError("exit %s (seed %d):\n%s" % (status, seed, err[-4000:]))
        print("ok: %d edits, %d checks, seed %d" % (done, checks, seed))
    finally:
        if c:
            c.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
