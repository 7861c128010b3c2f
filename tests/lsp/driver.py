"""Drive `platc lsp` over stdio exactly as an editor does: Content-Length framing, JSON-RPC
requests with ids, notifications, and the server's notifications (publishDiagnostics) read
as they come.  Used by the scripted sessions (tests/lsp/*.json, run by run.py), by the
Python sessions (tests/lsp/*.py), and by bench/lsp/.  Every wait has a timeout, so a hung
server fails a test instead of hanging it.
"""
import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

TIMEOUT = float(os.environ.get("LSP_TIMEOUT", "20"))


def path_uri(path):
    return "file://" + urllib.parse.quote(os.path.abspath(path), safe="/")


class ServerError(Exception):
    pass


class Client:
    def __init__(self, platc, args=(), env=None, cwd=None):
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen([platc, "lsp", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=e, cwd=cwd)
        self.inbox = queue.Queue()
        self.notes = []          # notifications not yet consumed, in order
        self.responses = {}      # id -> response
        self.null_responses = []
        self.next_id = 1
        self.stderr = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    # ---- transport ---------------------------------------------------------------------
    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.rstrip(b"\r\n")
                if not line:
                    break
                k, _, v = line.partition(b":")
                headers[k.strip().lower()] = v.strip()
            n = int(headers[b"content-length"])
            body = out.read(n)
            self.inbox.put(json.loads(body))

    def _read_err(self):
        self.stderr = self.proc.stderr.read()

    def send_raw(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, msg):
        body = json.dumps(msg, ensure_ascii=False).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def _pump(self, timeout):
        try:
            m = self.inbox.get(timeout=timeout)
        except queue.Empty:
            raise ServerError("timed out waiting for the server")
        if m is None:
            raise ServerError("server closed its output (exit %s): %s" %
                              (self.proc.poll(), self.stderr.decode(errors="replace")[-2000:]))
        if "id" in m and "method" not in m:
            if m["id"] is None:   # errors about messages without a usable id, in order
                self.null_responses.append(m)
            else:
                self.responses[m["id"]] = m
        elif "id" in m:   # a request from the server (client/registerCapability)
            self.send({"jsonrpc": "2.0", "id": m["id"], "result": None})
            self.notes.append(m)
        else:
            self.notes.append(m)

    # ---- messages -------------------------------------------------------------------------
    def request_raw(self, method, params=None, id=None):
        """Send a request; return the whole response (result or error)."""
        if id is None:
            id = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.wait_response(id)

    def wait_response(self, id, timeout=TIMEOUT):
        end = time.time() + timeout
        if id is None:
            while not self.null_responses:
                self._pump(max(0.01, end - time.time()))
            return self.null_responses.pop(0)
        while id not in self.responses:
            self._pump(max(0.01, end - time.time()))
        return self.responses.pop(id)

    def request(self, method, params=None):
        r = self.request_raw(method, params)
        if "error" in r:
            raise ServerError("%s: %s" % (method, r["error"]))
        return r["result"]

    def notify(self, method, params=None):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def wait_notification(self, method, pred=lambda m: True, timeout=TIMEOUT):
        end = time.time() + timeout
        while True:
            for i, m in enumerate(self.notes):
                if m.get("method") == method and pred(m.get("params")):
                    del self.notes[i]
                    return m.get("params")
            self._pump(max(0.01, end - time.time()))

    def diagnostics(self, uri, version=None, timeout=TIMEOUT):
        """The next publishDiagnostics for [uri] (of [version] when given)."""
        return self.wait_notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
            timeout)["diagnostics"]

    def drain(self, wait=0.05):
        """Read what has arrived in [wait] seconds into notes."""
        end = time.time() + wait
        while True:
            try:
                self._pump(max(0.001, end - time.time()))
            except ServerError as e:
                if "timed out" in str(e):
                    return
                raise

    # ---- lifecycle --------------------------------------------------------------------------
    def initialize(self, root=None, folders=None, capabilities=None):
        params = {"processId": os.getpid(), "capabilities": capabilities or {}}
        if root:
            params["rootUri"] = path_uri(root)
        if folders:
            params["workspaceFolders"] = [{"uri": path_uri(f), "name": os.path.basename(f)}
                                          for f in folders]
        r = self.request("initialize", params)
        self.notify("initialized", {})
        return r

    def open(self, path, text, version=1):
        uri = path_uri(path)
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "plat", "version": version, "text": text}})
        return uri

    def change(self, uri, version, changes):
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": changes})

    def text(self, uri):
        return self.request("platc/documentText", {"textDocument": {"uri": uri}})["text"]

    def shutdown(self, timeout=TIMEOUT):
        """shutdown then exit; returns the exit status."""
        self.request("shutdown")
        self.notify("exit")
        return self.wait_exit(timeout)

    def wait_exit(self, timeout=TIMEOUT):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise ServerError("server did not exit")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def rng(sl, sc, el, ec):
    return {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}}


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


def pos_to_index(text, line, ch):
    """The string index of an LSP position in [text] (as the server clamps it)."""
    # LSP lines end at \n, \r\n or \r only (not str.splitlines' \x85, \u2028, ...)
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)
    if not lines or lines[-1].endswith(("\n", "\r")):
        lines.append("")
    if line >= len(lines):
        return len(text)
    start = sum(len(l) for l in lines[:line])
    content = lines[line].rstrip("\r\n")
    units = 0
    i = 0
    while i < len(content):
        u = 2 if ord(content[i]) >= 0x10000 else 1
        if units + u > ch:
            break
        units += u
        i += 1
    return start + i


def expect(what, want, got):
    """Raise AssertionError saying [what] differs unless [got] == [want]."""
    if want != got:
        raise AssertionError("%s:\n  expected %r\n  got      %r" % (what, want, got))


@contextlib.contextmanager
def scratch(platc, files, root="app"):
    """A server over a fresh temporary folder holding [files] ({rel: text}, UTF-8),
    initialized with rootUri = that folder's [root]; yields (client, folder) and removes
    both afterwards."""
    tmp = tempfile.mkdtemp(prefix="platc-lsp-")
    c = None
    try:
        for rel, text in files.items():
            full = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)
        c = Client(platc, env={"XDG_CACHE_HOME": os.path.join(tmp, ".cache")})
        c.initialize(root=os.path.join(tmp, root))
        yield c, tmp
    finally:
        if c:
            c.kill()
        shutil.rmtree(tmp, ignore_errors=True)
