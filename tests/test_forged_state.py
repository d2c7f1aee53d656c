"""A client that forges its widgets' values on the login pages gets a refusal, never an error's details."""

from __future__ import annotations

import asyncio
import http.cookiejar
import urllib.request

import pytest
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from test_browser import serve

from campaigns.store import Store

# Each value a widget state can carry; a text input expects a string, a button a trigger.
FORGERIES = (
    ("double_value", 3.5), ("int_value", -1), ("bool_value", True), ("bytes_value", b"\x00\xff"),
    ("string_value", "x" * 100_000), ("trigger_value", True),
)


async def _rerun(socket, widgets: list[tuple[str, str, object]]) -> list[ForwardMsg]:
    """Send one rerun with these (id, field, value) widget states; the messages until it finishes."""
    message = BackMsg()
    message.rerun_script.query_string = ""
    message.rerun_script.widget_states.SetInParent()
    for widget_id, field, value in widgets:
        state = message.rerun_script.widget_states.widgets.add()
        state.id = widget_id
        setattr(state, field, value)
    await socket.send(message.SerializeToString())
    received = []
    while True:
        forward = ForwardMsg()
        forward.ParseFromString(await asyncio.wait_for(socket.recv(), 60))
        received.append(forward)
        if forward.WhichOneof("type") == "script_finished":
            return received


def _widget_ids(messages: list[ForwardMsg]) -> list[str]:
    ids = []
    for forward in messages:
        if forward.WhichOneof("type") == "delta" and forward.delta.WhichOneof("type") == "new_element":
            kind = forward.delta.new_element.WhichOneof("type")
            widget = getattr(forward.delta.new_element, kind) if kind else None
            if getattr(widget, "id", ""):
                ids.append(widget.id)
    return ids


def _exceptions(messages: list[ForwardMsg]) -> list[str]:
    return [str(forward.delta.new_element.exception) for forward in messages
            if forward.WhichOneof("type") == "delta"
            and forward.delta.new_element.WhichOneof("type") == "exception"]


async def _forge_every_widget(url: str) -> tuple[list[str], list[str], bytes]:
    """Open a session as a browser would, then send each forgery to every widget the page drew."""
    jar = http.cookiejar.CookieJar()
    urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(url + "/").read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    protocols = ["streamlit"] + ([cookies["_streamlit_xsrf"]] if "_streamlit_xsrf" in cookies else [])
    headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=protocols,
                                  additional_headers=headers, max_size=None) as socket:
        ids = _widget_ids(await _rerun(socket, []))
        errors, sent = [], b""
        for field, value in FORGERIES:
            answer = await _rerun(socket, [(widget_id, field, value) for widget_id in ids])
            errors += _exceptions(answer)
            sent += b"".join(forward.SerializeToString() for forward in answer)
        return ids, errors, sent


@pytest.fixture
def shared_password_server(demo_copy, tmp_path):
    yield from serve(demo_copy, tmp_path, GROUNDSWELL_DASHBOARD_PASSWORD="the shared one")


@pytest.fixture
def accounts_server(demo_copy, tmp_path):
    with Store.open(demo_copy) as store:
        store.add_user("ada", "coordinator", "a long enough password")
    yield from serve(demo_copy, tmp_path)


@pytest.mark.parametrize("server_fixture", ["shared_password_server", "accounts_server"])
def test_forged_widget_values_on_the_login_page_raise_nothing_and_show_no_server_detail(server_fixture, request):
    url = request.getfixturevalue(server_fixture)
    ids, errors, sent = asyncio.run(_forge_every_widget(url))
    assert ids, "the login page drew no widget to forge"
    assert errors == []
    # Streamlit names its main script to every client; no other file of ours may be named.
    assert b"Traceback" not in sent and b"auth.py" not in sent and b"campaigns/" not in sent
    assert b"Groundswell" in sent  # still the login page, nothing behind it
