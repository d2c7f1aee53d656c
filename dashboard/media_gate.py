"""Downloads answered only to a browser with a logged-in session: the ASGI gate in front of /media/."""

from __future__ import annotations

import threading
from datetime import datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse

from campaigns import clock

# Streamlit's own per-browser cookie: set by its server before any session starts and sent with
# the session's websocket and with every download, so it ties a download to a browser's sessions.
BROWSER_COOKIE = "_streamlit_xsrf"
MEDIA = "/media/"

_admitted: dict[str, datetime] = {}  # browser cookie -> when its login ends
_lock = threading.Lock()


def admit(cookie: str | None, until: datetime) -> None:
    """Let this browser fetch downloads until `until` (its session's end)."""
    if cookie:
        with _lock:
            _admitted[cookie] = max(until, _admitted.get(cookie, until))


def release(cookie: str | None) -> None:
    """This browser logged out: none of its downloads is answered any more."""
    with _lock:
        _admitted.pop(cookie or "", None)


def admitted(cookie: str | None) -> bool:
    with _lock:
        until = _admitted.get(cookie or "")
        if until is not None and until <= clock.now():
            del _admitted[cookie]
            until = None
    return until is not None


class MediaGate:
    """Refuses a download (403, one line, no detail) to a browser that has no logged-in session."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and MEDIA in scope["path"] and not admitted(
                Request(scope).cookies.get(BROWSER_COOKIE)):
            response = PlainTextResponse("Log in to the dashboard to download this file.", status_code=403)
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)
