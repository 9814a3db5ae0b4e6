"""The dashboard in a real browser: `streamlit run` (what `make app` starts) against an in-process local stack with
demo data, every page loaded in headless Chromium through Playwright.

Asserts that each page finishes its script run without an exception box (stException) or an error alert, and
shows what it should (title, charts), and saves a screenshot per page: to the test's temporary directory, or to
WHOOP_SCREENSHOTS_DIR when set (`make screenshots` sets it to docs/screenshots/, which the README shows), so a test
run leaves the working tree as it was. Chromium is the OS package (/usr/bin/chromium, or
WHOOP_CHROMIUM); Playwright's own browser download is not used. Skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from infra.local import dashboard, pipeline
from infra.local.settings import REPO_ROOT
from tests.conftest import free_port
from tests.integration.conftest import local_stack
from tests.integration.dashboard_support import seed_ml

CHROMIUM = os.environ.get("WHOOP_CHROMIUM", "/usr/bin/chromium")

# url path, title on the page, charts the page draws on demo data
PAGES = [
    ("", "WHOOP Platform", 0),
    ("Recovery_Overview", "Recovery Overview", 3),
    ("Sleep_Analysis", "Sleep Analysis", 4),
    ("Strain_Performance", "Strain & Performance", 7),
    ("Predictive_Insights", "Predictive Insights", 2),  # recovery drivers, forecasts
    ("Data_Quality", "Data Quality Monitoring", 2),
    ("Setup", "Setup", 0),
]
# headings a page must show besides its title
SECTIONS = {"Predictive_Insights": ["What drove today's recovery", "Next-day recovery forecast"]}


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install it (apt-get install -y chromium) or set WHOOP_CHROMIUM")
    return sync_playwright


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _browser_or_skip()
    with local_stack(tmp_path_factory.mktemp("dash_browser"), ["ann", "ben"], days=90) as settings:
        pipeline.run_once(settings, quiet=True)
        seed_ml(settings, "ann")
        port = free_port()
        log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                dashboard.command(port), env=dashboard.environment(settings), cwd=REPO_ROOT, stdout=out, stderr=out
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{url}/_stcore/health", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start: {log.read_text()[-2000:]}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _save_small(png: bytes, path: Path) -> None:
    """The screenshot as a 64-colour palette PNG (about a third of the size; the README embeds these)."""
    import io

    from PIL import Image  # a Streamlit dependency

    Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64).save(path, optimize=True)


def test_every_page_renders_in_chromium(served: str, tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    shots = Path(os.environ.get("WHOOP_SCREENSHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            for path, title, n_charts in PAGES:
                page.goto(f"{served}/{path}", wait_until="domcontentloaded")
                page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
                # the script run is over when Streamlit says so; then charts have their data
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
                if n_charts:
                    page.wait_for_function(
                        f"document.querySelectorAll(\"[data-testid='stVegaLiteChart'] canvas, "
                        f"[data-testid='stVegaLiteChart'] svg\").length >= {n_charts}",
                        timeout=60_000,
                    )
                page.wait_for_timeout(500)  # let the vega renderer finish painting before the screenshot
                exceptions = page.locator("[data-testid='stException']").all_inner_texts()
                errors = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
                if exceptions or errors:
                    problems.append((path or "home", exceptions, errors))
                charts = page.locator("[data-testid='stVegaLiteChart']").count()
                if charts < n_charts:
                    problems.append((path or "home", f"{charts} charts, expected {n_charts}"))
                for heading in SECTIONS.get(path, []):
                    if not page.get_by_role("heading", name=heading).count():
                        problems.append((path, f"no section {heading!r}"))
                name = (path or "Home").lower()
                _save_small(page.screenshot(full_page=False), shots / f"{name}.png")
        finally:
            browser.close()
    assert not problems, problems
