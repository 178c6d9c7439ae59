"""Publishing executed report notebooks: code-free HTML, PDF, the index page and the run
manifest, each written atomically.

A report file is replaced only by a complete new one (temp file in the same folder, then
``os.replace``), so a run killed midway leaves the previous good report in place. Nothing
here loads anything from the internet: the HTML template drops nbconvert's CDN scripts
(require.js, MathJax, widget manager) and forbids scripts outright through a
Content-Security-Policy, and PDFs are printed by a local headless Chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import nbformat

from alliance_kit import config
from alliance_kit.views import formatting

#: Tag of the notebook cell that records a report's key figures; it never shows in HTML.
RESULTS_TAG = "results"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_local = threading.local()


def templates_dir() -> Path:
    return config.project_root() / "templates"


# --- atomic writes ---------------------------------------------------------------------


#: Temp files of atomic_write start with this: clean_stale_temps removes only those.
TEMP_PREFIX = ".alliance-kit-"


def atomic_write(path: str | Path, data: bytes | str | Iterable[bytes]) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The bytes go to a hidden temp file in the same folder, are flushed to disk, and the
    temp file then replaces the target in one ``os.replace``. ``data`` may be an iterable
    of chunks (a kill between chunks leaves only the temp file behind).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, str):
                fh.write(data.encode("utf-8"))
            elif isinstance(data, bytes | bytearray):
                fh.write(data)
            else:
                for chunk in data:
                    fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def clean_stale_temps(folder: str | Path) -> int:
    """Remove the temp files a killed run of this program left behind in ``folder`` and
    its subfolders (only ``.alliance-kit-<name>.XXXX.tmp``: a user's own ``*.tmp`` files
    stay); returns how many."""
    n = 0
    for tmp in Path(folder).rglob(f"{TEMP_PREFIX}*.tmp"):
        if tmp.is_file() and not tmp.is_symlink():
            tmp.unlink(missing_ok=True)
            n += 1
    return n


# --- notebook results ------------------------------------------------------------------


def notebook_results(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The key figures a report notebook recorded in its ``results`` cell ({} if none)."""
    from alliance_kit.views.notebook import recorded

    return recorded(nb)


# --- HTML ------------------------------------------------------------------------------


def _exporter():
    """One HTMLExporter per thread: building it loads templates (~0.1 s), so reuse it."""
    exporter = getattr(_local, "exporter", None)
    if exporter is None:
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        exporter = HTMLExporter(
            template_name="report",  # templates/report: lab without scripts or CDN
            extra_template_basedirs=[str(templates_dir())],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
        )
        remove = TagRemovePreprocessor(
            remove_cell_tags={RESULTS_TAG, "injected-parameters", "parameters", "notebook-only"},
            enabled=True,
        )
        exporter.register_preprocessor(remove, enabled=True)
        _local.exporter = exporter
    return exporter


def report_css() -> str:
    return (templates_dir() / "report" / "report.css").read_text(encoding="utf-8")


def to_html(nb: nbformat.NotebookNode, title: str = "") -> str:
    """Code-free HTML of an executed notebook: no inputs, no prompts, no scripts."""
    nb = nbformat.from_dict(nb)
    if title:
        nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources={"report_css": report_css()})
    return body


# --- PDF -------------------------------------------------------------------------------


def chromium_path() -> str:
    """The Chromium binary: $ALLIANCE_KIT_CHROMIUM, else /usr/bin/chromium, else PATH."""
    for candidate in (os.environ.get("ALLIANCE_KIT_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise FileNotFoundError(
            "PDF needs Chromium: install it (apt-get install chromium) or set "
            "ALLIANCE_KIT_CHROMIUM to its path"
        )
    return found


def launch_chromium(playwright: Any, executable: str | None = None) -> Any:
    """Headless Chromium with the suite's flags, from a started Playwright: used for PDFs
    here, and by the browser tests and the dashboard bench."""
    return playwright.chromium.launch(
        executable_path=executable or chromium_path(), args=CHROMIUM_ARGS
    )


def _browser():
    """A headless Chromium kept open for this thread (started on first use)."""
    browser = getattr(_local, "browser", None)
    if browser is None or not browser.is_connected():
        from playwright.sync_api import sync_playwright

        pw = getattr(_local, "playwright", None) or sync_playwright().start()
        _local.playwright = pw
        browser = launch_chromium(pw)
        _local.browser = browser
    return browser


def to_pdf(html: str) -> bytes:
    """Print report HTML to an A4 PDF with a local headless Chromium (no network):
    through Playwright (one browser kept per worker) when installed, else the
    ``chromium --print-to-pdf`` command line."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "report.html"
            src.write_text(html, encoding="utf-8")
            return to_pdf_cli(src, Path(tmp) / "report.pdf").read_bytes()
    page = _browser().new_page()
    try:
        page.route("**/*", _block_network)
        page.set_content(html, wait_until="load")
        return page.pdf(
            format="A4",
            print_background=True,
            scale=0.8,  # the screen layout is ~900 px wide; A4 prints ~700 px at 1.0
            margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"},
        )
    finally:
        page.close()


def _block_network(route) -> None:
    """Reports are self-contained: any request leaving the page is refused."""
    if route.request.url.startswith(("data:", "about:")):
        route.continue_()
    else:
        route.abort()


def to_pdf_cli(html_path: str | Path, pdf_path: str | Path, timeout: float = 60) -> Path:
    """Fallback without Playwright: ``chromium --print-to-pdf`` on a local file."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    with tempfile.TemporaryDirectory() as profile:
        tmp_pdf = Path(profile) / "out.pdf"
        subprocess.run(
            [
                chromium_path(),
                *CHROMIUM_ARGS,
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={tmp_pdf}",
                html_path.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        atomic_write(pdf_path, tmp_pdf.read_bytes())
    return pdf_path


def close_browser() -> None:
    """Close this thread's Chromium, if one was started."""
    browser = getattr(_local, "browser", None)
    if browser is not None:
        browser.close()
        _local.browser = None
    pw = getattr(_local, "playwright", None)
    if pw is not None:
        pw.stop()
        _local.playwright = None


# --- index and manifest ----------------------------------------------------------------


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=formatting.money,
        number=formatting.number,
        pct=formatting.pct,
        signed=formatting.signed,
    )
    return env


#: How urgently an executive should open a report: a failed report first, then red, amber,
#: not assessed (nobody can tell), green.
ATTENTION_ORDER = ("failed", "red", "amber", "not assessed", "green")


def by_attention(manifest: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The alliance reports of a manifest, most in need of attention first: by status
    (:data:`ATTENTION_ORDER`), then revenue at risk (largest first), then id."""

    def rank(item: tuple[str, Mapping[str, Any]]) -> tuple:
        key, entry = item
        figures = entry.get("figures") or {}
        status = "failed" if entry.get("status") != "ok" else figures.get("status")
        order = ATTENTION_ORDER.index(status) if status in ATTENTION_ORDER else len(ATTENTION_ORDER)
        at_risk = figures.get("revenue_at_risk")
        return (order, at_risk is None, -(at_risk or 0.0), key)

    reports = (manifest.get("reports") or {}).items()
    return sorted(((k, r) for k, r in reports if r.get("kind") == "alliance"), key=rank)


def write_index(folder: str | Path, manifest: Mapping[str, Any], previous: Mapping | None = None):
    """Write ``index.html`` linking every report of a run (paths relative to ``folder``):
    alliances by attention, the executed notebooks apart, for analysts."""
    folder = Path(folder)
    html = (
        _env()
        .get_template("report_index.html.j2")
        .render(
            manifest=manifest,
            alliances=by_attention(manifest),
            previous=previous or {},
            css=report_css(),
        )
    )
    return atomic_write(folder / "index.html", html)


def write_manifest(folder: str | Path, manifest: Mapping[str, Any]) -> Path:
    text = json.dumps(manifest, indent=2, sort_keys=True, default=str)
    return atomic_write(Path(folder) / "manifest.json", text + "\n")


def read_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / "manifest.json"
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
