"""Local servers that alerts are delivered to in tests: a JSON webhook and an SMTP server, on 127.0.0.1 only."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Hook:
    """A webhook: records each JSON body and its headers; answers `fail` times with 500 first."""

    def __init__(self, fail: int = 0, delay: float = 0.0):
        self.received: list[dict] = []
        self.delay = delay
        self.headers: list[dict] = []
        self.attempts = 0
        self.fail = fail
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                hook.attempts += 1
                if hook.fail > 0:
                    hook.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                hook.received.append(json.loads(body))
                hook.headers.append(dict(self.headers))
                if hook.delay:
                    time.sleep(hook.delay)  # took the message, answers late
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """An SMTP server (aiosmtpd) that takes one login (user, password) and keeps each message."""

    def __init__(self, user: str, password: str):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages = []
        self.logins = []
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        def authenticate(server, session, envelope, mechanism, auth_data):
            box.logins.append(auth_data.login.decode())
            return AuthResult(success=auth_data.login.decode() == user and auth_data.password.decode() == password)

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticate,
                                     auth_require_tls=False)

    def url(self, user_part: str, to: str) -> str:
        return (f"mailto://{user_part}@example.org?smtp=127.0.0.1&port={self.port}&mode=insecure"
                f"&from=alerts@example.org&to={to}")

    def text(self, index: int) -> str:
        message = self.messages[index]
        return message.get_body(("plain",)).get_content()

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
