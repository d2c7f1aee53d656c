"""Who is looking: the login gate (accounts, or the old single password), session expiry, and roles."""

from __future__ import annotations

import hmac
import os
from datetime import timedelta

import streamlit as st

from campaigns import access, clock
from campaigns.access import User
from campaigns.model import to_datetime
from dashboard import data, media_gate

LOOPBACK = ("127.0.0.1", "localhost", "::1", "")
# Everyone is a coordinator when nobody has an account and the dashboard listens on localhost.
OPEN = User(id=0, name="local", role="coordinator")


def listens_beyond_localhost() -> bool:
    return (st.get_option("server.address") or "") not in LOOPBACK


def _address() -> str:
    """The client's address as the server saw it ("unknown" where there is none, as under a test)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "unknown"


def current_user(db_path: str) -> User | None:
    """The user this session acts as, or None after drawing the login form (the page stops).

    A session that has a user lets its browser fetch the downloads it is given until the login
    ends (`media_gate`)."""
    user = _gate(db_path)
    if user is not None:
        since = st.session_state["user"][1] if "user" in st.session_state else clock.now_iso()
        media_gate.admit(_browser(), to_datetime(since) + timedelta(hours=access.SESSION_HOURS))
    return user


def _browser() -> str | None:
    """Streamlit's cookie for this browser (none under AppTest, which has no browser)."""
    return st.context.cookies.get(media_gate.BROWSER_COOKIE)


def _gate(db_path: str) -> User | None:
    has_users = data.call(db_path, "has_users")
    if not has_users:
        if listens_beyond_localhost():
            st.error("This dashboard listens beyond localhost but has no accounts, so it shows nothing. "
                     "Add one with `groundswell user add NAME --role coordinator`, then restart it.")
            return None
        return OPEN if _legacy_password_ok(db_path) else None
    signed = st.session_state.get("user")
    if signed is not None:
        user, since = signed
        if clock.now() - to_datetime(since) < timedelta(hours=access.SESSION_HOURS):
            return user
        del st.session_state["user"]
        st.info("Your session expired; please log in again.")
    _login_form(db_path)
    return None


def _login_form(db_path: str) -> None:
    st.title("Groundswell")
    with st.form("login"):
        name = st.text_input("Name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in")
    if not submitted:
        return
    if not (isinstance(name, str) and isinstance(password, str)):
        # Only a forged widget state sends something else; it is answered like a wrong password.
        st.error("Wrong name or password.")
        return
    blocked = data.write(db_path, "login_blocked_until", name, _address())
    user = data.write(db_path, "log_in", name, password, _address())
    if user is None:
        if blocked:
            st.error(f"Too many failed logins for this account or address: try again after {blocked} (UTC).")
        else:
            st.error("Wrong name or password.")
        return
    st.session_state["user"] = (user, clock.now_iso())
    st.rerun()


SHARED = "(shared password)"


def _legacy_password_ok(db_path: str) -> bool:
    """The single shared password of earlier versions, until an account exists; its failures
    count against the same limit as an account's."""
    expected = os.environ.get("GROUNDSWELL_DASHBOARD_PASSWORD")
    if not expected or st.session_state.get("authenticated"):
        return True
    st.title("Groundswell")
    typed = st.text_input("Password", type="password", key="password")
    st.caption("Accounts with roles replace this shared password: `groundswell user add NAME --role coordinator`.")
    if typed and not isinstance(typed, str):
        st.error("Wrong password.")  # only a forged widget state sends a value that is not text
        return False
    if typed:
        blocked = data.write(db_path, "login_blocked_until", SHARED, _address())
        # A constant-time comparison, so the time taken says nothing about how much matched.
        ok = hmac.compare_digest(typed.encode("utf-8"), expected.encode("utf-8")) and blocked is None
        data.write(db_path, "record_login", SHARED, _address(), ok)
        if ok:
            st.session_state["authenticated"] = True
            del st.session_state["password"]
            st.rerun()
        st.error(f"Too many failed attempts: try again after {blocked} (UTC)." if blocked else "Wrong password.")
    return False


def log_out_button(user: User) -> None:
    if user.id and st.sidebar.button(f"Log out {user.name}", key="logout"):
        del st.session_state["user"]
        media_gate.release(_browser())
        st.rerun()
