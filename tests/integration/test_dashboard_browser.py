"""The dashboard in a real browser: `streamlit run` (what `make app` starts) against an in-process local stack with
demo data (five members, one of them needing re-authorization), every page loaded in headless Chromium through
Playwright, and the Squad page's zone colours, athlete choice and "Open" link followed.

Asserts that each page finishes its script run without an exception box (stException) or an error alert, and
shows what it should (title, charts), and saves a screenshot per page: to the test's temporary directory, or to
WHOOP_SCREENSHOTS_DIR when set (`make screenshots` sets it to docs/screenshots/, which the README shows), so a test
run leaves the working tree as it was. Chromium is the OS package (/usr/bin/chromium, or
WHOOP_CHROMIUM); Playwright's own browser download is not used. Skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import os
import re
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
from tests.integration.dashboard_support import revoke_and_run, seed_ml

CHROMIUM = os.environ.get("WHOOP_CHROMIUM", "/usr/bin/chromium")

MEMBERS = ["ann", "ben", "cat", "dan", "eve"]  # five athletes for the Squad page
REVOKED = "dan"  # its WHOOP link is refused on the second run: the Squad page flags it

# url path, title on the page, charts the page draws on demo data
PAGES = [
    ("", "WHOOP Platform", 0),
    ("Squad", "Squad", 0),
    ("Recovery_Overview", "Recovery Overview", 3),
    ("Sleep_Analysis", "Sleep Analysis", 4),
    ("Strain_Performance", "Strain & Performance", 7),
    ("Predictive_Insights", "Predictive Insights", 2),  # recovery drivers, forecasts
    ("Data_Quality", "Data Quality Monitoring", 2),
    ("Setup", "Setup", 0),
]
# headings a page must show besides its title
SECTIONS = {
    "Predictive_Insights": [
        "What drove today's recovery",
        "Next-day recovery forecast",
        "Habits and next-day recovery",
        "What if: planned sleep tonight",
    ],
    "Squad": ["Open an athlete"],
}
TABLES = {"Squad": 1}  # st.dataframe grids a page must draw
# lines a page must show: ann has forecasts but no journal (no export imported), so the habits say how to get them
LINES = {
    "Predictive_Insights": ["No journal answers yet: answer the WHOOP journal to see which habits move your recovery"]
}
ZONE_COLOURS = {(0x16, 0xEC, 0x06), (0xFF, 0xDE, 0x00), (0xFF, 0x00, 0x26)}  # ui.GREEN, ui.YELLOW, ui.RED


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
    # seed 11: the five athletes' newest mornings fall in all three WHOOP zones (the Squad grid shows each colour)
    with local_stack(tmp_path_factory.mktemp("dash_browser"), MEMBERS, days=90, seed=11) as settings:
        pipeline.run_once(settings)
        seed_ml(settings, "ann")
        revoke_and_run(settings, REVOKED)
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


def _colours(png: bytes) -> set[tuple[int, int, int]]:
    """The RGB colours of a screenshot that cover at least 50 pixels (cell backgrounds, not anti-aliasing)."""
    import io

    from PIL import Image

    counts = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20) or []
    return {rgb for n, rgb in counts if n >= 50}


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
                grids = page.locator("[data-testid='stDataFrame']").count()
                if grids < TABLES.get(path, 0):
                    problems.append((path, f"{grids} tables, expected {TABLES[path]}"))
                for heading in SECTIONS.get(path, []):
                    if not page.get_by_role("heading", name=heading).count():
                        problems.append((path, f"no section {heading!r}"))
                for line in LINES.get(path, []):
                    if not page.get_by_text(line).count():
                        problems.append((path, f"no line {line!r}"))
                name = (path or "Home").lower()
                _save_small(page.screenshot(full_page=False), shots / f"{name}.png")
        finally:
            browser.close()
    assert not problems, problems


def test_squad_page_flags_and_opens_an_athlete_in_chromium(served: str) -> None:
    """The Squad page in the browser: every athlete's row is in the grid, the revoked member is named in the
    warning, and "Open" lands on Recovery Overview with that athlete chosen in the sidebar."""
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{served}/Squad", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Squad").first.wait_for(timeout=60_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
            warning = page.locator("[data-testid='stAlertContentWarning']").all_inner_texts()
            assert any("re-authorize WHOOP" in w and REVOKED in w for w in warning), warning
            # the grid is drawn on a canvas: its pixels must show every WHOOP zone colour the athletes are in
            grid = page.locator("[data-testid='stDataFrame']")
            grid.wait_for(timeout=60_000)
            page.wait_for_timeout(500)  # let the grid finish painting
            colours = _colours(grid.screenshot())
            assert set(ZONE_COLOURS) <= colours, f"zone colours missing from the grid: {set(ZONE_COLOURS) - colours}"
            # every athlete can be opened (the athlete choice lists them all)
            page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").last.click()
            options = {o.strip() for o in page.get_by_role("option").all_inner_texts()}
            assert options == set(MEMBERS), options
            page.keyboard.press("Escape")
            button = page.get_by_role("button", name=re.compile(r"^Open (\w+)'s pages$"))
            athlete = re.match(r"Open (\w+)'s pages", button.inner_text()).group(1)
            assert athlete in MEMBERS
            button.click()
            page.get_by_role("heading", name="Recovery Overview").first.wait_for(timeout=60_000)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
            chosen = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first.inner_text()
            assert athlete in chosen, chosen
            assert not page.locator("[data-testid='stException']").count()
        finally:
            browser.close()
