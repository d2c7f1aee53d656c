"""A first run: the README's first command, with no terminal, brings the dashboard up and opens the browser."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GROUNDSWELL = Path(sys.executable).parent / "groundswell"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            return answer.read().decode().strip() == "ok"
    except OSError:
        return False


def readme_first_command() -> list[str]:
    """The groundswell command of the README's first code block (`... && .venv/bin/groundswell demo`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)[1]
    last = block.strip().split("&&")[-1].split()
    assert Path(last[0]).name == "groundswell", block
    return last[1:]


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path, Path]:
    """The command as a user's shell would run it, but with no terminal at all: stdin closed,
    output to a file, HOME an empty folder, and a BROWSER that writes down what it was asked to open."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text("import sys, pathlib\n"
                        f"pathlib.Path({str(opened)!r}).open('a').write(sys.argv[1] + '\\n')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "GROUNDSWELL_"))}
    env.update(HOME=str(home), BROWSER=f"{sys.executable} {recorder} %s",
               GROUNDSWELL_PSEUDONYM_KEY_FILE=str(tmp_path / "key"))
    log = tmp_path / "out.log"
    process = subprocess.Popen([str(GROUNDSWELL), *args], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                               stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    return process, log, opened


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def wait_for(condition, process, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode} before it was ready:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail("not ready in time:\n" + log.read_text())
        time.sleep(0.3)


def test_the_readme_first_command_without_a_terminal_serves_the_dashboard_and_opens_the_browser(
        demo_db, tmp_path):
    args = readme_first_command()
    assert args == ["demo"]
    shutil.copy(demo_db, tmp_path / "groundswell.db")  # the demo data set already loaded: it goes straight on
    port = free_port()
    process, log, opened = start(tmp_path, *args, "--port", str(port))
    try:
        wait_for(lambda: healthy(port) and opened.exists(), process, log)
        time.sleep(1)  # a second open, or a prompt, would show by now
        assert opened.read_text().splitlines() == [f"http://127.0.0.1:{port}"]
        assert process.poll() is None, "the dashboard keeps running with no terminal"
    finally:
        code = stop(process)
    output = log.read_text()
    assert code == 0, output
    assert "Email" not in output and "usage statistics" not in output.lower(), output
    assert not (tmp_path / "home" / ".streamlit").exists(), "nothing is written to ~/.streamlit"
    time.sleep(0.5)
    assert not healthy(port), "stopping groundswell stops the Streamlit server it started"


def test_no_browser_opens_nothing(demo_db, tmp_path):
    shutil.copy(demo_db, tmp_path / "campaign.db")
    port = free_port()
    process, log, opened = start(tmp_path, "dashboard", "--db", "campaign.db", "--no-browser", "--port", str(port))
    try:
        wait_for(lambda: healthy(port), process, log)
        time.sleep(1)
        assert not opened.exists()
    finally:
        assert stop(process) == 0, log.read_text()
    assert not (tmp_path / "home" / ".streamlit").exists()


def test_a_port_in_use_is_one_line_and_exit_1(demo_db, tmp_path):
    shutil.copy(demo_db, tmp_path / "groundswell.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process, log, opened = start(tmp_path, "dashboard", "--port", str(port))
        try:
            code = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stop(process)
            raise
    assert code == 1
    assert f"Error: the dashboard stopped with exit code 1 (is port {port} in use?)" in log.read_text()
    assert not opened.exists()
