"""The HTML email in a real headless browser (Debian's chromium): it renders, and nothing overflows."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from briefing.contracts import Brief
from briefing.pipeline import BackendChoice, BuildOptions, build
from briefing.render.brief import render_email_html

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MEASURE = """<script>
document.body.setAttribute("data-overflow",
  String(document.documentElement.scrollWidth - window.innerWidth));
</script>"""


@pytest.fixture(scope="module")
def html() -> str:
    brief: Brief = build(
        [str(ROOT / "examples" / "london-talks")],
        BuildOptions(backend=BackendChoice.extractive, date="2025-06-10"),
    )
    return render_email_html(brief, recipient="you@example.com", unsubscribe_url="https://example.com/u?t=1")


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, (
        "these tests need Debian's chromium; .ci/run installs it (apt-get install chromium)"
    )
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.mark.parametrize("width", [360, 640, 1024])
def test_nothing_overflows_the_width(html: str, tmp_path: Path, width: int) -> None:
    page = tmp_path / "email.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    dom = chromium(f"--window-size={width},900", "--dump-dom", page.as_uri()).stdout

    overflow = re.search(r'data-overflow="(-?\d+)"', dom)
    assert overflow is not None, "the page was rendered and its script ran"
    assert int(overflow.group(1)) <= 0, f"{overflow.group(1)} px wider than a {width} px window"


def test_the_screenshot_is_not_blank_and_the_text_stays_in_its_column(html: str, tmp_path: Path) -> None:
    page = tmp_path / "email.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / "email.png"

    chromium("--window-size=1024,1400", f"--screenshot={shot}", page.as_uri())

    image = Image.open(shot).convert("L")
    width, height = image.size
    dark = [(x, y) for y in range(0, height, 2) for x in range(0, width, 2) if image.getpixel((x, y)) < 128]
    assert len(dark) > 2000, "text was drawn"
    columns = [x for x, _ in dark]
    # The brief is a column at most 640 px wide, centred: nothing is drawn outside it.
    assert max(columns) - min(columns) <= 640
    assert min(columns) > (width - 640) // 2 - 4
