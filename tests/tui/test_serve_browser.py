"""`wasmscope serve` loaded in headless Chromium: the app draws, and a screenshot shows it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/lib/chromium/chromium"
REPLAY = Path(__file__).parent / "data" / "replay.toml"
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wasmscope.tui.cli", "--replay", "--profile", str(REPLAY), "serve",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "wasmscope serve did not answer"
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and any app process it started
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_frames(page, frames: list[str], text: str, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in f for f in frames):
        assert time.monotonic() < deadline, what
        page.wait_for_timeout(200)


def test_served_app_draws_in_chromium(served, tmp_path):
    """It draws, the keys reach it without a click, and it asks no host but its own (no
    web-font service: a projector's laptop may be offline)."""
    frames: list[str] = []
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("request", lambda request: requests.append(request.url))
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda payload: frames.append(
                    payload if isinstance(payload, str) else payload.decode("utf-8", "replace"))))
            page.goto(served)
            wait_frames(page, frames, "Startup", "the app never drew its stored results in the browser")
            page.wait_for_timeout(500)
            frames.clear()
            page.keyboard.press("1")  # no click first: the terminal has the keyboard from the start
            wait_frames(page, frames, "cold start", "a key pressed after load did not reach the app")
            page.wait_for_timeout(1000)
            shot = tmp_path / "serve.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    text = "".join(frames)
    assert "Wasmtime (embedded)" in text and "Docker (runc)" in text
    assert shot.stat().st_size > 20_000  # a drawn terminal, not an empty page
    origin = served.rstrip("/")
    foreign = [url for url in requests if not url.startswith((origin, origin.replace("http", "ws", 1)))]
    assert not foreign, f"the page asked other hosts: {foreign}"
    assert any(url.endswith("RobotoMono-VariableFont_wght.ttf") for url in requests)  # the font, from here
