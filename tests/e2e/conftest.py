"""Browser tests: the real ``fitroom serve`` in a subprocess, Debian's Chromium driven by Playwright.

Screenshots of each step go to ``out/e2e/NN_step.png`` (``out/`` is gitignored). Set
``FITROOM_CHROMIUM`` to use another Chromium binary (the tests skip when none is found) and
``FITROOM_E2E_URL`` to test a server that is already running instead of starting one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "out" / "e2e"
EXAMPLES = REPO / "src" / "fitroom" / "examples"
CHROMIUM = Path(os.environ.get("FITROOM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"

#: the longest a try-on may take in these tests (2 shared CPU cores, cold caches)
TRYON_TIMEOUT_MS = 90_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_command(port: int) -> list[str]:
    exe = Path(sys.executable).with_name("fitroom")
    if not exe.exists():
        found = shutil.which("fitroom")
        exe = Path(found) if found else None
    prefix = [str(exe)] if exe else [sys.executable, "-m", "fitroom.cli"]
    return [*prefix, "serve", "--host", "127.0.0.1", "--port", str(port)]


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set FITROOM_CHROMIUM)")
    return CHROMIUM


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="session")
def server(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Starts ``fitroom serve`` on a free port with a fresh data folder; yields its base URL.

    ``FITROOM_E2E_URL=http://host:port`` runs the tests against a server already running."""
    if os.environ.get("FITROOM_E2E_URL"):
        yield os.environ["FITROOM_E2E_URL"].rstrip("/")
        return
    data = tmp_path_factory.mktemp("fitroom-data")
    port = _free_port()
    env = {**os.environ, "FITROOM_DATA_DIR": str(data)}
    log_path = data.parent / f"server-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(_serve_command(port), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    base = f"http://127.0.0.1:{port}"

    def log_tail() -> str:
        return log_path.read_text(errors="replace")[-4000:]

    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"fitroom serve exited with status {proc.returncode}:\n{log_tail()}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=3) as res:
                    if res.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"fitroom serve did not answer /healthz within 120 s:\n{log_tail()}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # keep the server's log beside the screenshots, for reading after a failure
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, SHOTS / "server.log")


@pytest.fixture(scope="session")
def playwright_instance(chromium_path: Path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path: Path):
    b = playwright_instance.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


class PageErrors(list):
    """JavaScript exceptions thrown on a page (a test fails when any were seen)."""


@pytest.fixture
def open_page(browser, server):
    """Factory: a new page on the app in a fresh browser context (``viewport``, ``mobile``)."""
    contexts = []
    errors = PageErrors()

    def _open(width: int = 1280, height: int = 800, mobile: bool = False):
        ctx = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=2 if mobile else 1,
            is_mobile=mobile,
            has_touch=mobile,
            accept_downloads=True,
            base_url=server,
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # the app must run under its own Content-Security-Policy: any violation is an error
        page.on("console", lambda msg: errors.append(msg.text)
                if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text else None)
        page.goto("/")
        page.wait_for_selector("#auth-view:not([hidden])")
        page.evaluate("document.fonts.ready")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


# ---------------------------------------------------------------- helpers used by the tests


def new_email(tag: str = "shopper") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def shot(page, name: str) -> Path:
    """Saves a screenshot of the viewport to out/e2e/<name>.png, after animations settle."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.wait_for_timeout(350)
    page.screenshot(path=str(path), animations="disabled")
    return path


def sign_up(page, email: str, password: str = PASSWORD) -> None:
    page.click("#tab-signup")
    page.fill("#auth-email", email)
    page.fill("#auth-password", password)
    page.click("#auth-submit")
    page.wait_for_selector("#app-view:not([hidden])")
    wait_catalog(page)


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.click("#tab-signin")
    page.fill("#auth-email", email)
    page.fill("#auth-password", password)
    page.click("#auth-submit")


def wait_catalog(page) -> None:
    """Waits until the catalog shows garments and the images on screen have loaded (the
    others load as they come near the viewport)."""
    page.wait_for_selector("#garment-grid .garment[data-garment-id]")
    page.wait_for_function(
        """() => [...document.querySelectorAll('#garment-grid .garment[data-garment-id] img')]
                 .filter(i => { const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; })
                 .every(i => i.complete && i.naturalWidth > 0 && !i.classList.contains('loading'))"""
    )


def upload_photo(page, path: Path | None) -> None:
    """Uploads a photo through the file input (``None``: one already chosen) and waits for it."""
    if path is not None:
        page.set_input_files("#file-input", str(path))
    # the chosen picture shows at once as a local preview; done means the server's copy is
    # on the stage and selected in the photo strip
    page.wait_for_function(
        """() => { const i = document.querySelector('#before-img');
                   return document.querySelector('#photo-strip .photo-thumb[aria-current=true]')
                          && document.querySelector('#stage-busy').hidden
                          && i.dataset.src.startsWith('/') && i.complete && i.naturalWidth > 0
                          && !i.classList.contains('loading'); }""",
        timeout=60_000,
    )
    page.wait_for_selector("#compare[data-state=photo]:not([hidden])")


def wait_result(page, previous: str | None = None) -> str:
    """Waits for a try-on result on the stage (a different one than ``previous``); returns its id."""
    page.wait_for_function(
        """(prev) => { const c = document.querySelector('#compare');
                       const i = document.querySelector('#after-img');
                       return c.dataset.state === 'result' && c.dataset.tryonId && c.dataset.tryonId !== prev
                              && i.complete && i.naturalWidth > 0; }""",
        arg=previous,
        timeout=TRYON_TIMEOUT_MS,
    )
    return page.get_attribute("#compare", "data-tryon-id")


IMAGE_DIFF_JS = """
([a, b]) => {
  const A = typeof a === 'string' ? document.querySelector(a) : a;
  const B = typeof b === 'string' ? document.querySelector(b) : b;
  const w = 160, h = Math.max(1, Math.round(160 * A.naturalHeight / A.naturalWidth));
  const px = (img) => {
    const c = document.createElement('canvas'); c.width = w; c.height = h;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0, w, h);
    return g.getImageData(0, 0, w, h).data;
  };
  const p = px(A), q = px(B);
  let sum = 0, changed = 0;
  for (let i = 0; i < p.length; i += 4) {
    const d = (Math.abs(p[i] - q[i]) + Math.abs(p[i+1] - q[i+1]) + Math.abs(p[i+2] - q[i+2])) / 3;
    sum += d; if (d > 24) changed++;
  }
  return { mean: sum / (w * h), changed: changed / (w * h),
           a: [A.naturalWidth, A.naturalHeight], b: [B.naturalWidth, B.naturalHeight] };
}
"""


def image_diff(page, a: str, b: str) -> dict:
    """Mean absolute difference (0-255) and fraction of changed pixels between two <img>s."""
    return page.evaluate(IMAGE_DIFF_JS, [a, b])


@pytest.fixture(scope="session")
def e2e(shots: Path) -> SimpleNamespace:
    """The helpers above, for the test modules (conftest can't be imported under importlib mode)."""
    return SimpleNamespace(
        shots=shots, examples=EXAMPLES, password=PASSWORD, tryon_timeout_ms=TRYON_TIMEOUT_MS,
        new_email=new_email, shot=shot, sign_up=sign_up, sign_in=sign_in, wait_catalog=wait_catalog,
        upload_photo=upload_photo, wait_result=wait_result, image_diff=image_diff,
    )
