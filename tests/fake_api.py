"""A local HTTP server on 127.0.0.1 that answers API paths with recorded responses, in order."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse


class FakeAPI:
    """Routes (method, path) to a queue of responses; the last one repeats. Records every request.

    A response is (status, headers, body); body may be a dict/list (sent as JSON) or bytes/str.
    """

    def __init__(self):
        self.routes: dict[tuple[str, str], list] = {}
        self.requests: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, method):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                api.requests.append({"method": method, "path": parsed.path,
                                     "query": {k: v[0] for k, v in parse_qs(parsed.query).items()},
                                     "query_all": parse_qs(parsed.query),
                                     "body": body, "headers": dict(self.headers)})
                queue = api.routes.get((method, parsed.path.rstrip("/") or "/"))
                if not queue:
                    status, headers, payload = 404, {}, {"error": "Record not found"}
                else:
                    entry = queue[0] if len(queue) == 1 else queue.pop(0)
                    status, headers, payload = entry(api.requests[-1]) if callable(entry) else entry
                if isinstance(payload, dict | list):
                    payload = json.dumps(payload).encode()
                    headers = {"Content-Type": "application/json; charset=utf-8", **headers}
                elif isinstance(payload, str):
                    payload = payload.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, method: str, path: str, *responses) -> FakeAPI:
        self.routes[(method, path.rstrip("/"))] = list(responses)
        return self

    def hits(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"].rstrip("/") == path.rstrip("/")]

    def __enter__(self) -> FakeAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def fixture_json(*parts: str):
    """A JSON fixture under tests/fixtures/."""
    return json.loads((Path(__file__).parent / "fixtures" / Path(*parts)).read_text(encoding="utf-8"))
