"""Look at an HTML report in a real headless browser (Debian's chromium), with the standard library only.

A copy of the page gets one small script that, once the page has loaded, measures what a reader would see at a
given viewport width, every <details> unfolded (does the page render, did every image decode, does anything
stick out to the right) and
writes its findings into an attribute of <html>; `chromium --headless --dump-dom` prints the DOM after that, so
no DevTools client is needed. The report itself has no JavaScript; the script only reads the layout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from html import unescape
from pathlib import Path

import pytest

REQUIRE_ENV = "REGFORMER_REQUIRE_CHROMIUM"  # set by .ci/run: there a missing browser fails instead of skipping
_ATTR = "data-regformer-check"

_PROBE = """<script>
window.addEventListener('load', () => {
  for (const d of document.querySelectorAll('details')) d.open = true;  // what a reader unfolds must fit too
  const limit = document.documentElement.clientWidth;
  const images = Array.from(document.images).map(img => ({alt: img.alt, complete: img.complete,
                                                         naturalWidth: img.naturalWidth}));
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > limit + 0.5 || box.left < -0.5 || box.width > limit + 0.5)) {
      wide.push({tag: el.tagName.toLowerCase(), cls: el.className || '', width: Math.round(box.width),
                 right: Math.round(box.right), text: (el.textContent || '').trim().slice(0, 60)});
    }
  }
  const result = {innerWidth: window.innerWidth, clientWidth: limit,
                  scrollWidth: document.scrollingElement.scrollWidth, bodyHeight: document.body.scrollHeight,
                  title: document.title, h1: (document.querySelector('h1') || {}).textContent || '',
                  verdict: ((document.getElementById('verdict') || {}).innerText || '').trim(),
                  runRecord: ((document.getElementById('run-record') || {}).innerText || '').trim(),
                  images: images, wide: wide};
  document.documentElement.setAttribute('%s', JSON.stringify(result));
});
</script>""" % _ATTR


def chromium() -> str:
    """The chromium executable; skip the test when there is none, or fail when REGFORMER_REQUIRE_CHROMIUM is set."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    message = "no chromium on PATH (Debian: apt-get install chromium); the headless report check needs it"
    if os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0"):
        pytest.fail(f"{REQUIRE_ENV} is set but {message}")
    pytest.skip(message)


def inspect_page(html_path: str | Path, width: int = 1280, height: int = 900, timeout: float = 120) -> dict:
    """Load `html_path` (a copy, with the probe) in headless chromium at `width` x `height` and return the probe's
    findings: innerWidth, clientWidth, scrollWidth, bodyHeight, title, h1, the rendered text of the verdict box
    and of the run record (verdict, runRecord; "" when absent), images (alt, complete, naturalWidth)
    and wide (every element reaching past the viewport's right or left edge, its scrollbar not counted)."""
    browser = chromium()
    page = Path(html_path).read_text(encoding="utf-8")
    if "</body>" not in page:
        raise AssertionError(f"{html_path} has no </body>: not a complete page")
    with tempfile.TemporaryDirectory(prefix="regformer-browser-") as tmp:
        copy = Path(tmp) / "page.html"
        head, _, tail = page.rpartition("</body>")
        copy.write_text(head + _PROBE + "</body>" + tail, encoding="utf-8")
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               f"--user-data-dir={tmp}/profile", f"--window-size={width},{height}",
               "--virtual-time-budget=10000", "--dump-dom", copy.as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    match = re.search(rf'{_ATTR}="([^"]*)"', done.stdout)
    if match is None:
        raise AssertionError(f"chromium did not run the page's probe (exit {done.returncode}):\n"
                             f"{done.stderr[-2000:]}")
    return json.loads(unescape(match.group(1)))


def assert_reads_well(html_path: str | Path, width: int = 1280) -> dict:
    """The page renders with its verdict box and run record, every image decodes, and nothing is wider than a
    `width` px viewport."""
    seen = inspect_page(html_path, width=width)
    where = Path(html_path).name
    assert seen["innerWidth"] == width, f"{where}: the browser window is {seen['innerWidth']} px, not {width}"
    assert seen["h1"].strip() and seen["bodyHeight"] > 200, f"{where}: the page did not render: {seen}"
    assert "best is" in seen["verdict"] or "No model reports" in seen["verdict"], f"{where}: no verdict box: {seen}"
    assert "regformer commit" in seen["runRecord"], f"{where}: no run record"
    broken = [img for img in seen["images"] if not img["complete"] or img["naturalWidth"] <= 0]
    assert seen["images"] and not broken, f"{where}: images that did not load: {broken or 'no images at all'}"
    # the window's scrollbar is drawn, as on a desktop: the page has clientWidth (1265 of 1280 px) to fit in
    fit = seen["clientWidth"]
    assert seen["scrollWidth"] <= fit <= width, f"{where}: the page scrolls sideways ({seen['scrollWidth']} px > {fit})"
    assert not seen["wide"], f"{where}: elements wider than the {fit} px the {width} px window leaves: {seen['wide'][:5]}"
    return seen
