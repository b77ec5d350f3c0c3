"""Drive the system's Chromium headless over the DevTools protocol through a pipe
(``--remote-debugging-pipe``): no driver, no websocket, no browser download.

Used by the report tests (panels present, no console errors, nothing fetched) and to
take the screenshot in docs/img (``python tests/report/report_browser.py REPORT.html OUT.png``)."""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
]


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    raise FileNotFoundError("no Chromium on PATH: install Debian's `chromium` package")


class ProtocolError(RuntimeError):
    pass


@dataclass
class PageLoad:
    """What happened while a page loaded."""

    console: list[dict[str, Any]] = field(default_factory=list)  # {"type", "text"}
    exceptions: list[str] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)  # browser log entries {"level", "source", "text"}
    requests: list[str] = field(default_factory=list)  # every URL requested

    @property
    def errors(self) -> list[str]:
        out = [f"console.{c['type']}: {c['text']}" for c in self.console if c["type"] in ("error", "assert")]
        out += [f"exception: {e}" for e in self.exceptions]
        out += [f"{e['source']} {e['level']}: {e['text']}" for e in self.log if e["level"] == "error"]
        return out


class Chromium:
    """One headless browser with one page."""

    def __init__(self, binary: str | None = None, timeout: float = 60.0, width: int = 1280, height: int = 900):
        self.binary = binary or find_chromium()
        self.timeout = timeout
        self.size = (width, height)
        self._id = 0
        self._buf = b""
        self._events: list[dict[str, Any]] = []
        self.session: str | None = None

    # -- process and transport ------------------------------------------------------------
    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="curate-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # the protocol pipe is fd 3 (commands) and fd 4 (replies)
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [self.binary, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={self.size[0]},{self.size[1]}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            self.call(domain, session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.size[0], "height": self.size[1], "deviceScaleFactor": 1, "mobile": False}, session=True)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def _send(self, method: str, params: dict[str, Any] | None, session: bool) -> int:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode("utf-8") + b"\0")
        return self._id

    def _recv(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise ProtocolError("Chromium closed the pipe")
                self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False,
             timeout: float | None = None) -> dict[str, Any]:
        i = self._send(method, params, session)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._recv(deadline)
            if msg.get("id") == i:
                if "error" in msg:
                    raise ProtocolError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._events.append(msg)

    def _wait_event(self, method: str, deadline: float) -> None:
        while True:
            for k, e in enumerate(self._events):
                if e.get("method") == method:
                    del self._events[k]
                    return
            self._events.append(self._recv(deadline))

    # -- pages ---------------------------------------------------------------------------
    def load(self, path: Path, settle: float = 0.3) -> PageLoad:
        """Open a local file and collect console messages, exceptions, log entries and requests."""
        self._events.clear()
        self.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=True)
        self._wait_event("Page.loadEventFired", time.monotonic() + self.timeout)
        end = time.monotonic() + settle  # late console messages, script errors after load
        while True:
            try:
                self._events.append(self._recv(end))
            except TimeoutError:
                break
        out = PageLoad()
        for e in self._events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                out.console.append({"type": p.get("type"), "text": text})
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.exceptions.append(str(d.get("exception", {}).get("description") or d.get("text")))
            elif m == "Log.entryAdded":
                entry = p.get("entry", {})
                out.log.append({"level": entry.get("level"), "source": entry.get("source"), "text": entry.get("text")})
            elif m == "Network.requestWillBeSent":
                out.requests.append(p.get("request", {}).get("url", ""))
        self._events.clear()
        return out

    def evaluate(self, expression: str) -> Any:
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      session=True)
        if "exceptionDetails" in r:
            raise ProtocolError(f"evaluate: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")

    def screenshot(self, out: Path, *, full_page: bool = True, clip_height: int | None = None,
                   element: str | None = None) -> Path:
        """A PNG of the page: the whole page, its top ``clip_height`` pixels, or the
        element with the id ``element``."""
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": True}
        if element:
            r = self.evaluate(
                f"(function(){{var r=document.getElementById({json.dumps(element)}).getBoundingClientRect();"
                "return [r.left+window.scrollX, r.top+window.scrollY, r.width, r.height];})()"
            )
            params["clip"] = {"x": r[0] - 8, "y": r[1] - 8, "width": r[2] + 16,
                              "height": min(r[3] + 16, clip_height or 10**6), "scale": 1}
        elif full_page or clip_height:
            metrics = self.call("Page.getLayoutMetrics", session=True)
            size = metrics.get("cssContentSize") or metrics.get("contentSize")
            h = int(size["height"]) if clip_height is None else min(clip_height, int(size["height"]))
            params["clip"] = {"x": 0, "y": 0, "width": self.size[0], "height": h, "scale": 1}
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out


def main(argv: list[str]) -> int:
    """``browser.py REPORT.html OUT.png [--height N] [--width N]``: a screenshot of a report."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("report", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=None, help="only the top N pixels")
    ap.add_argument("--element", default=None, help="only the element with this id (a panel: funnel, clusters, ...)")
    args = ap.parse_args(argv)
    with Chromium(width=args.width) as b:
        load = b.load(args.report)
        for e in load.errors:
            print("page error:", e, file=sys.stderr)
        b.screenshot(args.out, full_page=args.height is None, clip_height=args.height, element=args.element)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
