"""Protocol behaviour that a .json session cannot express: initialize advertises exactly the
methods that answer (every advertised provider's method works, every method of a provider
not advertised is -32601), $/cancelRequest of a queued request, a burst of edits checked
once (debounce), multi-root workspaces and didChangeWorkspaceFolders, didChangeWatchedFiles
re-checking a module whose imported file changed on disk, the watcher registration, and
--log."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from driver import Client, path_uri, rng  # noqa: E402

# capability -> the methods it stands for (LSP 3.17)
PROVIDERS = {
    "hoverProvider": ["textDocument/hover"],
    "completionProvider": ["textDocument/completion"],
    "signatureHelpProvider": ["textDocument/signatureHelp"],
    "definitionProvider": ["textDocument/definition"],
    "referencesProvider": ["textDocument/references"],
    "documentHighlightProvider": ["textDocument/documentHighlight"],
    "renameProvider": ["textDocument/rename"],
    "documentSymbolProvider": ["textDocument/documentSymbol"],
    "workspaceSymbolProvider": ["workspace/symbol"],
    "documentFormattingProvider": ["textDocument/formatting"],
    "documentRangeFormattingProvider": ["textDocument/rangeFormatting"],
    "semanticTokensProvider": ["textDocument/semanticTokens/full"],
    "foldingRangeProvider": ["textDocument/foldingRange"],
    "inlayHintProvider": ["textDocument/inlayHint"],
    "codeActionProvider": ["textDocument/codeAction"],
    "typeDefinitionProvider": ["textDocument/typeDefinition"],
    "implementationProvider": ["textDocument/implementation"],
    "declarationProvider": ["textDocument/declaration"],
    "codeLensProvider": ["textDocument/codeLens"],
    "documentLinkProvider": ["textDocument/documentLink"],
    "colorProvider": ["textDocument/documentColor"],
    "documentOnTypeFormattingProvider": ["textDocument/onTypeFormatting"],
    "selectionRangeProvider": ["textDocument/selectionRange"],
    "callHierarchyProvider": ["textDocument/prepareCallHierarchy"],
    "linkedEditingRangeProvider": ["textDocument/linkedEditingRange"],
    "monikerProvider": ["textDocument/moniker"],
    "diagnosticProvider": ["textDocument/diagnostic"],
    "executeCommandProvider": ["workspace/executeCommand"],
}


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def main(platc):
    root = tempfile.mkdtemp(prefix="platc-lsp-proto-")
    try:
        w1, w2 = os.path.join(root, "w1"), os.path.join(root, "w2")
        for d in ("w1/app", "w1/lib", "w2/svc"):
            os.makedirs(os.path.join(root, d))
        open(os.path.join(w1, "lib", "lib.plat"), "w").write("let port = 80\n")
        app = os.path.join(w1, "app", "main.plat")
        open(app, "w").write('import "../lib" as lib\noutput p = lib.port\n')
        open(os.path.join(w2, "svc", "s.plat"), "w").write("let s = 1\noutput o = s\n")

        c = Client(platc, env={"XDG_CACHE_HOME": os.path.join(root, "cache")})
        caps = c.initialize(folders=[w1], capabilities={
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}}})["capabilities"]
        # the core's own capabilities, exactly
        check(caps["positionEncoding"] == "utf-16", caps)
        check(caps["textDocumentSync"] == {"openClose": True, "change": 2,
                                           "save": {"includeText": False}}, caps["textDocumentSync"])
        check(caps["workspace"]["workspaceFolders"] == {"supported": True,
                                                        "changeNotifications": True}, caps)
        st = caps["semanticTokensProvider"]
        check(st["full"] is True and st["range"] is True and
              st["legend"]["tokenTypes"][:3] == ["namespace", "type", "class"], st)
        # the watcher registration the server asks for
        reg = c.wait_notification("client/registerCapability")
        check(reg["registrations"][0]["registerOptions"]["watchers"] == [{"globPattern": "**/*.plat"}], reg)

        uri = c.open(app, open(app).read())
        check(c.diagnostics(uri) == [], "app is clean")
        doc = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 12},
               "range": rng(0, 0, 1, 0), "context": {"diagnostics": [], "includeDeclaration": True},
               "newName": "q", "options": {"tabSize": 2, "insertSpaces": True}, "query": "p"}
        for cap, methods in sorted(PROVIDERS.items()):
            for m in methods:
                r = c.request_raw(m, doc)
                if cap in caps and caps[cap] is not False:
                    check("error" not in r or r["error"]["code"] != -32601,
                          "%s advertised but %s is not found" % (cap, m))
                else:
                    check("error" in r and r["error"]["code"] == -32601,
                          "%s not advertised but %s answers: %r" % (cap, m, r))

        # cancel: a request and its cancel in one write; the request is answered -32800
        c.send_raw(b"".join(
            b"Content-Length: %d\r\n\r\n%s" % (len(b), b) for b in [
                b'{"jsonrpc":"2.0","id":900,"method":"textDocument/documentSymbol","params":'
                b'{"textDocument":{"uri":"' + uri.encode() + b'"}}}',
                b'{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":900}}']))
        r = c.wait_response(900)
        check(r.get("error", {}).get("code") == -32800, r)
        # cancelling something already answered (or unknown) is harmless
        c.notify("$/cancelRequest", {"id": 12345})

        # a burst of 50 edits in one write is checked once, on the final text
        before = c.request("platc/documentText", {"textDocument": {"uri": uri}})["checks"]
        burst = []
        for i in range(50):
            body = ('{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":'
                    '{"uri":"%s","version":%d},"contentChanges":[{"range":{"start":{"line":2,'
                    '"character":0},"end":{"line":2,"character":0}},"text":"x"}]}}' % (uri, 10 + i)).encode()
            burst.append(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        c.send_raw(b"".join(burst))
        diags = c.diagnostics(uri, version=59)
        check(len(diags) == 1 and diags[0]["range"]["start"] == {"line": 2, "character": 0}, diags)
        after = c.request("platc/documentText", {"textDocument": {"uri": uri}})
        check(after["text"].endswith("\n" + "x" * 50), after["text"][-60:])
        check(after["checks"] - before <= 10, "a burst of 50 edits ran %d checks" % (after["checks"] - before))
        c.change(uri, 60, [{"range": rng(2, 0, 2, 50), "text": ""}])
        check(c.diagnostics(uri, version=60) == [], "fixed")

        # didChangeWatchedFiles: the imported file changes on disk, the app is checked again
        open(os.path.join(w1, "lib", "lib.plat"), "w").write("let porto = 80\n")
        c.notify("workspace/didChangeWatchedFiles", {"changes": [
            {"uri": path_uri(os.path.join(w1, "lib", "lib.plat")), "type": 2}]})
        d = c.diagnostics(uri)
        check(len(d) == 1 and d[0]["code"] == "E0503", d)
        open(os.path.join(w1, "lib", "lib.plat"), "w").write("let port = 80\n")
        c.notify("workspace/didChangeWatchedFiles", {"changes": [
            {"uri": path_uri(os.path.join(w1, "lib", "lib.plat")), "type": 2}]})
        check(c.diagnostics(uri) == [], "clean again")

        # multi-root: folders from initialize, then added and removed
        f = c.request("platc/workspaceFolders")
        check(f["folders"] == [w1], f)
        check(f["modules"] == [os.path.join(w1, "app"), os.path.join(w1, "lib")], f)
        c.notify("workspace/didChangeWorkspaceFolders", {"event": {
            "added": [{"uri": path_uri(w2), "name": "w2"}], "removed": []}})
        f = c.request("platc/workspaceFolders")
        check(f["folders"] == [w1, w2], f)
        check(f["modules"] == [os.path.join(w1, "app"), os.path.join(w1, "lib"),
                               os.path.join(w2, "svc")], f)
        c.notify("workspace/didChangeWorkspaceFolders", {"event": {
            "added": [], "removed": [{"uri": path_uri(w1), "name": "w1"}]}})
        check(c.request("platc/workspaceFolders")["folders"] == [w2], "removed")
        r = c.request_raw("workspace/didChangeWorkspaceFolders", {"event": 3})
        check(r["error"]["code"] == -32602, r)

        check(c.shutdown() == 0, "exit status")
        err = c.stderr.decode(errors="replace")
        check("Sanitizer" not in err and "runtime error" not in err, err[-3000:])

        # --log FILE: a trace of what arrived (->) and what was sent (<-), stdout stays protocol
        log = os.path.join(root, "trace.log")
        c = Client(platc, args=["--log", log, "--debounce", "20"])
        c.initialize()
        check(c.shutdown() == 0, "exit status with --log")
        trace = open(log).read().splitlines()
        check(trace[0].startswith('-> {"jsonrpc": "2.0", "id": 1, "method": "initialize"'), trace[:1])   # as sent
        check(any(t.startswith('<- {"jsonrpc":"2.0","id":1,"result":{"capabilities"') for t in trace), trace[:3])
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
    print("ok")
