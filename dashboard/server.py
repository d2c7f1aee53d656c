"""The dashboard as served: Streamlit's app, with downloads answered only to logged-in browsers."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from dashboard.media_gate import MediaGate

# `streamlit run dashboard/server.py` finds this App and serves the script behind the gate.
app = st.App(Path(__file__).resolve().parent / "streamlit_app.py", middleware=[Middleware(MediaGate)])
