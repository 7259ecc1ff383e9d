"""Take the README's screenshots (not a test): `wasmscope serve` in headless Chromium at 1280×720,
driving real runtimes, into tui/screenshots/{results,live,race}.png.

    python tests/tui/make_screenshots.py [--profile tests/tui/data/replay.toml] [--out tui/screenshots]

The profile's stored results fill the results view; the live view shows a cold-start burst and
an idle workload on Wasmtime and Docker; the race runs hello on Wasmtime, native and Docker.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/lib/chromium/chromium"


def serve(profile: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "wasmscope.tui.cli", "--profile", profile, "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
            return proc
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("make_screenshots: wasmscope serve did not answer")
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=str(ROOT / "tests/tui/data/replay.toml"))
    parser.add_argument("--out", default=str(ROOT / "tui/screenshots"))
    parser.add_argument("--port", type=int, default=8765)
    ns = parser.parse_args()
    out = Path(ns.out)
    proc = serve(ns.profile, ns.port)
    frames: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(
                data if isinstance(data, str) else data.decode("utf-8", "replace"))))
            page.goto(f"http://127.0.0.1:{ns.port}/")

            def until(text: str, timeout: float = 60) -> None:
                deadline = time.monotonic() + timeout
                while not any(text in f for f in frames):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"make_screenshots: timed out waiting for {text!r}")
                    page.wait_for_timeout(200)

            def keys(*names: str, pause_ms: int = 300) -> None:
                for name in names:
                    page.keyboard.press(name)
                    page.wait_for_timeout(pause_ms)

            until("Startup")  # the stored results, on the Results view
            page.wait_for_timeout(8000)  # the runtimes are probed meanwhile (the live view needs them)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / "results.png"))
            keys("1", "b")  # Wasmtime (embedded): a cold-start burst, then idle
            page.wait_for_timeout(3000)
            keys("i", "ArrowRight", "ArrowRight", "b")  # Docker: a burst, then idle
            page.wait_for_timeout(12000)
            keys("i")
            page.wait_for_timeout(6000)
            keys("ArrowLeft", "ArrowLeft")  # back to Wasmtime
            page.wait_for_timeout(2000)
            page.screenshot(path=str(out / "live.png"))
            frames.clear()
            keys("R")
            until("done", 120)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(out / "race.png"))
            keys("q")
            page.wait_for_timeout(3000)
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    for name in ("results", "live", "race"):
        print(out / f"{name}.png", (out / f"{name}.png").stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
