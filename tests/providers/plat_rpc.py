"""The platc provider protocol (docs/providers.md) for test providers written in Python:
JSON-RPC 2.0 over stdin/stdout with Content-Length framing.  serve() reads requests and
answers each with its handler's result, or with an error when the handler raises RpcError.
Only the standard library: the tests must run on a fresh Debian with python3 alone."""
import json
import sys

PROTOCOL_VERSION = 1
TRANSIENT = -32001      # "try again": platc retries with backoff
FAILED = -32000         # failed for good


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def read_message(inp):
    """One request, or None at end of input."""
    length = None
    while True:
        line = inp.readline()
        if not line:
            return None
        line = line.rstrip(b"\r\n")
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise SystemExit("no Content-Length")
    return json.loads(inp.read(length))


def send(obj, out=None):
    out = out or sys.stdout.buffer
    body = json.dumps(obj).encode()
    out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    out.flush()


def log(text):
    """A line on stderr: platc shows its tail when the provider fails."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def serve(handlers):
    """Answer requests until shutdown or end of input."""
    inp = sys.stdin.buffer
    while True:
        msg = read_message(inp)
        if msg is None:
            return
        method, rid, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
        try:
            handler = handlers.get(method)
            if handler is None:
                raise RpcError(-32601, "unknown method '%s'" % method)
            send({"jsonrpc": "2.0", "id": rid, "result": handler(params)})
        except RpcError as e:
            send({"jsonrpc": "2.0", "id": rid,
                  "error": {"code": e.code, "message": e.message}})
        if method == "shutdown":
            return
