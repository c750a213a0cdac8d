"""`dvc plots show` and `dvc plots diff` pages draw in a real browser with no network.

dvc-render's own page loads vega from a CDN; `.dvc/config` swaps in
`.dvc/offline_plots.html`, which inlines the copies in `vendor/vega/`
(`attention_ts/cli/offline_plots.py` builds it). Headless Chromium opens the pages
with every host unresolvable and a dead proxy: the DOM must hold a drawn vega
view for every plot and the screenshot must show them. The browser tests are
marked `system` and run apart (`pytest -m system`, as CI does after the suite).
Without Chromium they skip, unless ATTENTION_TS_REQUIRE_BROWSER=1 (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from configobj import ConfigObj
from dvc_render.html import PAGE_HTML
from matplotlib import image

from attention_ts.cli import offline_plots
from tests.conftest import REPO, read_yaml
from tests.project import project_env

pytestmark = pytest.mark.e2e

VEGA_DATA = {".json", ".csv", ".tsv", ".yaml", ".yml"}  # what DVC draws with vega, not as images
# a script, stylesheet, frame or image the page would fetch from the network
REMOTE = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|@import|url\(\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
# everything on the page must come from the file system
OFFLINE = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--hide-scrollbars",
    "--window-size=1280,1400",
    "--virtual-time-budget=15000",
)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )
    if found is None:
        reason = "no chromium on PATH or at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("ATTENTION_TS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ATTENTION_TS_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return found


def _browse(chromium: str, page: Path, *action: str) -> subprocess.CompletedProcess:
    """Open `page` in headless Chromium, offline, with a fresh profile."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, *OFFLINE, f"--user-data-dir={profile}", *action, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


class _DrawnViews(HTMLParser):
    """Counts the <canvas class="marks"> / <svg class="marks"> elements vega draws into."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("canvas", "svg") and "marks" in (dict(attrs).get("class") or "").split():
            self.count += 1


def _drawn_views(dom: str) -> int:
    parser = _DrawnViews()  # script bodies are raw text to the parser, so their strings don't count
    parser.feed(dom)
    return parser.count


def _vega_plots_in_dvc_yaml() -> int:
    """How many vega plots the top-level `plots:` of dvc.yaml defines (images not counted)."""
    count = 0
    for entry in read_yaml(REPO / "dvc.yaml")["plots"]:
        if isinstance(entry, dict):  # {title: {x:, y: {file: field}}}: one plot
            count += 1
            continue
        path = REPO / entry  # a file or a folder: one plot per data file
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        count += sum(f.suffix in VEGA_DATA for f in files)
    return count


def _plots(tmp_path: Path, name: str, *args: str) -> Path:
    """Run `dvc plots <args> -o <tmp>/<name>` in the repository; the page it writes."""
    out = tmp_path / name
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "plots", *args, "-o", str(out)],
        cwd=REPO,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "index.html"


def _screenshot(chromium: str, page: Path) -> tuple[float, float, int]:
    """Screenshot `page` with the PNG plots (under static/) out of the way, so only what vega
    draws is left to see: the fraction of pixels inked (not near-white), the fraction in
    colour (not grey: text and frames are grey) and how many coarse colours those have."""
    static = page.parent / "static"
    if static.exists():
        static.rename(page.parent / "hidden")
    shot = page.parent / "screenshot.png"
    _browse(chromium, page, f"--screenshot={shot}")
    pixels = image.imread(shot)[..., :3]  # floats in [0, 1]
    inked = (pixels < 0.9).any(axis=-1)
    coloured = pixels.max(axis=-1) - pixels.min(axis=-1) > 0.25
    colours = np.unique((pixels[coloured] * 15).round().astype(int), axis=0)
    return float(inked.mean()), float(coloured.mean()), len(colours)


def test_committed_template_is_what_the_script_builds():
    assert offline_plots.TEMPLATE.read_text(encoding="utf-8") == offline_plots.build_template(), (
        "run python -m attention_ts.cli.offline_plots"
    )
    assert offline_plots.main(["--check"]) == 0


def test_the_script_rewrites_a_stale_template(tmp_path, monkeypatch):
    monkeypatch.setattr(offline_plots, "TEMPLATE", tmp_path / "page.html")
    assert offline_plots.main(["--check"]) == 1  # missing
    offline_plots.TEMPLATE.write_text("{plot_divs}")
    assert offline_plots.main(["--check"]) == 1  # stale
    assert offline_plots.main([]) == 0
    assert offline_plots.main(["--check"]) == 0
    assert offline_plots.TEMPLATE.read_text() == offline_plots.build_template()


def test_dvc_config_uses_the_template_and_stays_quiet():
    config = ConfigObj(str(REPO / ".dvc" / "config"))  # how DVC reads it
    # DVC resolves a relative html_template against the .dvc/ directory
    assert REPO / ".dvc" / config["plots"]["html_template"] == offline_plots.TEMPLATE
    assert config["core"]["analytics"] == "false"
    assert config["core"]["check_update"] == "false"
    page = offline_plots.TEMPLATE.read_text(encoding="utf-8")
    assert "{plot_divs}" in page and "{scripts}" not in page  # no {scripts}: no CDN tags


@pytest.mark.system  # Chromium: runs apart (`pytest -m system`, as .ci/run does)
@pytest.mark.parametrize("command", [("show",), ("diff", "HEAD")], ids=" ".join)
def test_plots_page_draws_offline(chromium, tmp_path, command):
    page = _plots(tmp_path, "out", *command)
    html = page.read_text(encoding="utf-8")
    assert not REMOTE.findall(html), "the page fetches something from the network"
    embedded = html.count("vegaEmbed('#")
    assert embedded >= _vega_plots_in_dvc_yaml() > 0

    dom = _browse(chromium, page, "--dump-dom").stdout
    assert _drawn_views(dom) == embedded, "a vega plot did not draw"

    inked, coloured, colours = _screenshot(chromium, page)
    assert inked > 0.05, f"screenshot nearly blank: {inked:.1%} of pixels inked"
    assert coloured > 0.01 and colours >= 8, f"{coloured:.2%} in colour, {colours} colours"


@pytest.mark.system
def test_the_browser_really_is_offline(chromium, tmp_path):
    """The same plots on dvc-render's CDN page draw nothing: the checks above can fail."""
    cdn_page = tmp_path / "cdn.html"
    cdn_page.write_text(PAGE_HTML, encoding="utf-8")
    page = _plots(tmp_path, "out", "show", "--html-template", str(cdn_page))
    assert REMOTE.findall(page.read_text(encoding="utf-8"))  # the CDN script tags
    assert _drawn_views(_browse(chromium, page, "--dump-dom").stdout) == 0
    inked, coloured, colours = _screenshot(chromium, page)
    assert coloured < 0.01, f"{coloured:.2%} in colour, {colours} colours"
