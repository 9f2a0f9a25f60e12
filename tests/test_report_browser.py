"""The HTML report in a real browser: headless Chromium, driven over the DevTools protocol.

Chromium is started with ``--remote-debugging-pipe`` (no port, no network) and a new empty
profile; the test opens the report's ``file://`` URL and asks the page what it shows: every
finding present and visible, every cited figure highlighted (a ``mark`` with its anchor and a
background colour), the links between them; and, for a transcript full of markup, that no
script ran and the markup is visible as text.

Chromium comes from Debian's ``chromium`` package (``scripts/ensure-chromium.sh`` installs it
when run as root). Without it the tests skip, except in CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_report import DOCS, Built, build, findings_of, result

from conftest import IN_CI
from extractor.pipeline import process_text
from extractor.report import write_reports
from extractor.report.model import fact_anchor, finding_anchor

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-extensions",
                  "--mute-audio", "--remote-debugging-pipe"]
TIMEOUT = 60.0


def find_chromium() -> str | None:
    env = os.environ.get("FIGURES_CHROMIUM")
    if env:  # asked for explicitly: a wrong value is an error, not a reason to skip
        found = env if Path(env).is_file() else shutil.which(env)
        if not found:
            pytest.fail(f"FIGURES_CHROMIUM={env!r} is not an executable browser")
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A minimal DevTools-protocol client over Chromium's pipe (fds 3 and 4 of the child)."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="figures-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # in the child: the protocol pipes on fds 3 and 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
            close_fds=False, preexec_fn=wire)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next = 0
        self.session = ""

    def _log(self) -> str:
        self.stderr.seek(0)
        lines = self.stderr.read().decode("utf-8", "replace").splitlines()
        return "\n".join(line for line in lines if "dbus" not in line)[-3000:]

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: bool = True) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._next:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(0.0, left))
            if not ready:
                raise TimeoutError(f"Chromium did not answer {method}\n{self._log()}")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError(f"Chromium exited (status {self.proc.poll()})\n{self._log()}")
            self._buffer += chunk

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                           "flatten": True},
                                 session=False)["sessionId"]
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + TIMEOUT
        while self.eval("location.href + ' ' + document.readyState") != f"{url} complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load\n{self._log()}")
            time.sleep(0.05)

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression[:80]}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close", session=False)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        for fd in (self._to_child, self._from_child):
            os.close(fd)
        self.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    exe = find_chromium()
    if exe is None:
        msg = ("headless Chromium is not installed (install it as root with "
               "scripts/ensure-chromium.sh or `apt-get install chromium`, or point "
               "FIGURES_CHROMIUM at a Chromium/Chrome binary)")
        if IN_CI:
            pytest.fail(f"CI=true but {msg}")
        pytest.skip(msg)
    b = Browser(exe)
    try:
        assert "Chrome" in b.call("Browser.getVersion", session=False)["product"]
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("browser-reports"))


# JavaScript run in the page: what a reader sees of a finding and of a figure
FINDING_JS = """(() => {
  const el = document.getElementById(%s);
  if (!el) return null;
  const box = el.getBoundingClientRect();
  return {tag: el.tagName, text: el.innerText, visible: box.width > 0 && box.height > 0,
          links: Array.from(el.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))};
})()"""
FIGURE_JS = """(() => {
  const el = document.getElementById(%s);
  if (!el) return null;
  const box = el.getBoundingClientRect();
  const line = el.closest('.ln');
  const cites = line ? Array.from(line.querySelectorAll('sup.cites a'))
                           .map(a => a.getAttribute('href')) : [];
  return {tag: el.tagName, text: el.textContent, classes: Array.from(el.classList),
          background: getComputedStyle(el).backgroundColor,
          visible: box.width > 0 && box.height > 0, line: line ? line.id : null, cites: cites};
})()"""


def test_every_finding_shown_and_every_cited_figure_highlighted(browser: Browser,
                                                                built: Built) -> None:
    for doc_id in DOCS:
        page = built.out / f"{doc_id}.html"
        browser.open(page.as_uri())
        assert browser.eval("document.documentElement.getAttribute('data-js')") == "on"
        assert browser.eval("document.title").startswith(f"Validation report: {doc_id}")
        table = result(doc_id).table.set_index("fact_id")
        body_bg = browser.eval("getComputedStyle(document.body).backgroundColor")
        rows = findings_of(built, doc_id)
        assert rows, doc_id
        for row in rows:
            anchor = finding_anchor(row["finding_id"])
            shown = browser.eval(FINDING_JS % json.dumps(anchor))
            assert shown is not None, f"{doc_id}: finding {row['finding_id']} missing"
            assert shown["tag"] == "ARTICLE" and shown["visible"]
            for key in ("check_id", "message", "arithmetic", "expected", "observed"):
                assert row[key] in shown["text"], (doc_id, row["finding_id"], key)
            for fid in row["fact_ids"].split(";"):
                if fid not in table.index:  # another document's figure: a link to its report
                    other = fid.rsplit(":", 1)[0]
                    assert f"{other}.html#{fact_anchor(fid)}" in shown["links"]
                    continue
                assert f"#{fact_anchor(fid)}" in shown["links"]
                fig = browser.eval(FIGURE_JS % json.dumps(fact_anchor(fid)))
                assert fig is not None, f"{doc_id}: figure {fid} has no anchor"
                assert fig["tag"] == "MARK" and fig["visible"]
                assert fig["text"] == table.at[fid, "text"]
                assert "cited" in fig["classes"]
                assert fig["background"] not in ("rgba(0, 0, 0, 0)", "transparent", body_bg)
                assert fig["line"] == f"L{table.at[fid, 'line']}"
                assert f"#{anchor}" in fig["cites"]
        # every figure of the document is highlighted, cited or not
        marks = browser.eval("Array.from(document.querySelectorAll('.transcript mark[id]'))"
                             ".map(m => [m.id, m.textContent])")
        assert sorted(marks) == sorted([fact_anchor(f), table.at[f, "text"]]
                                       for f in table.index)


def test_following_a_finding_link_reaches_the_figure(browser: Browser, built: Built) -> None:
    row = next(r for r in findings_of(built, "ex01_pellucid_q3") if r["check_id"] == "XC-601")
    target = fact_anchor(row["fact_ids"].split(";")[1])  # "well into 2028", line 25
    browser.open((built.out / "ex01_pellucid_q3.html").as_uri())
    browser.eval(f"document.querySelector('#{finding_anchor(row['finding_id'])} "
                 f"a[href=\"#{target}\"]').click()")
    deadline = time.monotonic() + 10
    while browser.eval("location.hash") != f"#{target}" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert browser.eval("location.hash") == f"#{target}"
    assert browser.eval(f"document.querySelector(':target') === "
                        f"document.getElementById('{target}')")
    assert browser.eval("document.querySelector(':target').textContent") == "well into 2028"
    # scrolled into view and not hidden under the sticky navigation bar
    seen = browser.eval(f"""(() => {{
      const r = document.getElementById('{target}').getClientRects()[0];
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      const mark = hit ? hit.closest('mark') : null;
      return {{top: r.top, bottom: r.bottom, hit: mark ? mark.id : String(hit)}};
    }})()""")
    assert seen["top"] >= 0 and seen["bottom"] <= browser.eval("window.innerHeight")
    assert seen["hit"] == target


HOSTILE = ("Acme Corp Q3 2024 Earnings Call\n"
           "Jane Roe - CFO\n"
           "Revenue was $12 million in the quarter "
           "<script>document.title='pwned';window.pwned=1;"
           "document.body.insertAdjacentHTML('beforeend','<p id=\"pwned\">x</p>')</script>.\n"
           "Our logo: <img src=x onerror=\"document.title='pwned';window.pwned=2\"> "
           "and <a id=\"jslink\" href=\"javascript:window.pwned=3\">our site</a> "
           "<b id=\"bold\">bold</b> &amp; more.\n"
           "Cash was $40 million as of September 30, 2024.\n")


def test_transcript_markup_is_shown_as_text_and_never_runs(browser: Browser,
                                                           tmp_path: Path) -> None:
    r = process_text(HOSTILE, "hostile_call")
    [page] = write_reports(r.document, r.table, None, tmp_path, formats=("html",))
    browser.open(page.as_uri())
    assert browser.eval("document.documentElement.getAttribute('data-js')") == "on"  # JS runs
    assert browser.eval("document.title") == "Validation report: hostile_call (Q3-2024)"
    time.sleep(0.2)  # time for an (escaped-away) image's error handler to have fired
    assert browser.eval("document.title") == "Validation report: hostile_call (Q3-2024)"
    assert browser.eval("typeof window.pwned") == "undefined"
    for ident in ("pwned", "jslink", "bold"):
        assert browser.eval(f"document.getElementById('{ident}') === null"), ident
    assert browser.eval("document.querySelectorAll('img, b, iframe, object').length") == 0
    assert browser.eval("document.scripts.length") == 1  # the report's own
    assert browser.eval("document.querySelectorAll('a[href^=\"javascript:\" i]').length") == 0
    # the markup is there, as text a reader sees, line for line
    shown = browser.eval("Array.from(document.querySelectorAll('.transcript .ln'))"
                         ".map(l => l.innerText)")
    assert shown == HOSTILE.split("\n")
    visible = browser.eval("document.querySelector('.transcript').innerText")
    for literal in ("<script>document.title='pwned';", "</script>",
                    "<img src=x onerror=\"document.title='pwned';window.pwned=2\">",
                    "<a id=\"jslink\" href=\"javascript:window.pwned=3\">our site</a>",
                    "<b id=\"bold\">bold</b> &amp; more."):
        assert literal in visible
    # the figures around the markup are still found and highlighted
    assert browser.eval("Array.from(document.querySelectorAll('.transcript mark'))"
                        ".map(m => m.textContent)") == ["$12 million", "$40 million"]
