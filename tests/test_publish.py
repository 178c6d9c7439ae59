"""Publishing: atomic writes survive a kill, HTML carries no code, script or CDN, the
index escapes what users typed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from alliance_kit.delivery import publish


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "report.html"
    publish.atomic_write(target, "first")
    publish.atomic_write(target, b"second")
    publish.atomic_write(target, iter([b"th", b"ird"]))
    assert target.read_text() == "third"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_a_failing_write_leaves_the_previous_file_and_no_temp(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("good report")

    def chunks():
        yield b"half a rep"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        publish.atomic_write(target, chunks())
    assert target.read_text() == "good report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_write_killed_midway_leaves_the_previous_good_file(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("good report")
    script = textwrap.dedent(
        f"""
        import time
        from alliance_kit.delivery.publish import atomic_write

        def chunks():
            yield b"<html>new report, first half"
            time.sleep(120)  # killed here
            yield b"second half</html>"

        atomic_write({str(target)!r}, chunks())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".alliance-kit-report.html.*.tmp")):
            assert time.monotonic() < deadline, "the writer never started"
            assert proc.poll() is None, "the writer exited early"
            time.sleep(0.05)
        time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert target.read_text() == "good report"
    leftovers = list(tmp_path.glob(".alliance-kit-report.html.*.tmp"))
    assert len(leftovers) == 1  # the half-written temp file, never the report itself
    assert publish.clean_stale_temps(tmp_path) == 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_stale_temp_clean_up_leaves_the_users_own_tmp_files(tmp_path):
    """Only this program's temp files go: a user's notes.tmp, .draft.tmp or a folder of
    their own stay, in the folder and below it."""
    (tmp_path / "sub").mkdir()
    own = [
        tmp_path / "notes.tmp",
        tmp_path / ".draft.tmp",
        tmp_path / ".report.html.abc123.tmp",  # the name the old version used
        tmp_path / "sub" / ".x.tmp",
    ]
    for f in own:
        f.write_text("mine")
    (tmp_path / "sub" / ".alliance-kit-dir.tmp").mkdir()  # a folder, not a temp file
    ours = [tmp_path / ".alliance-kit-a.html.q1.tmp", tmp_path / "sub" / ".alliance-kit-b.q2.tmp"]
    for f in ours:
        f.write_bytes(b"half")
    assert publish.clean_stale_temps(tmp_path) == 2
    assert all(f.read_text() == "mine" for f in own)
    assert not any(f.exists() for f in ours)
    assert (tmp_path / "sub" / ".alliance-kit-dir.tmp").is_dir()


def executed_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("secret_parameter = 1")
    params.metadata["tags"] = ["parameters"]
    code = nbformat.v4.new_code_cell("print_me = compute_the_figures()")
    code.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<p>Figure: <strong>42</strong></p>"}
        )
    ]
    results = nbformat.v4.new_code_cell("record('x', 1)")
    results.metadata["tags"] = ["results"]
    results.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/vnd.alliance-kit+json": {"name": "x", "value": 1}},
        )
    ]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A report\n\nSome $x$ maths and text."),
        params,
        code,
        results,
    ]
    return nb


def test_html_has_no_code_no_script_no_cdn_and_a_strict_csp():
    page = publish.to_html(executed_notebook(), title="T <b>")
    assert "Figure: <strong>42</strong>" in page
    assert "compute_the_figures" not in page and "secret_parameter" not in page
    assert "record(" not in page
    assert "<script" not in page
    for cdn in ("cdnjs", "unpkg", "jsdelivr", "require.min.js", "mathjax"):
        assert cdn not in page.lower() or cdn == "mathjax" and "mathjax.js" not in page.lower()
    assert "Content-Security-Policy" in page and "script-src 'none'" in page
    assert "<title>T &lt;b&gt;</title>" in page


def test_results_are_read_back_from_the_executed_notebook():
    assert publish.notebook_results(executed_notebook()) == {"x": 1}


def test_index_escapes_names_and_errors(tmp_path):
    manifest = {
        "period": "2026-Q3",
        "package_version": "0",
        "generated_at": "now",
        "runs": [{"ran": 2, "skipped": 0, "failed": ["A002"], "seconds": 1.0}],
        "reports": {
            "A001": {
                "kind": "alliance",
                "name": "<script>alert(1)</script>",
                "status": "ok",
                "figures": {"status": "red", "health_index": 41.0, "currency": "EUR",
                            "revenue_at_risk": 1234567.0, "open_cracks": 2, "change": -0.3},
                "files": {"html": "alliances/A001.html"},
            },
            "A002": {
                "kind": "alliance",
                "name": "B",
                "status": "failed",
                "error": "ValueError: <img src=x onerror=alert(2)>",
                "figures": {},
                "files": {"failed_ipynb": "notebooks/A002.failed.ipynb"},
            },
        },
    }  # fmt: skip
    page = publish.write_index(tmp_path, manifest).read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert 'href="alliances/A001.html"' in page and "EUR 1.2M" in page
    assert '<td class="num">+0</td>' in page and "-0<" not in page  # change -0.3 rounds to +0
    assert 'href="notebooks/A002.failed.ipynb"' in page


def _alliance(status: str | None, at_risk: float | None, ok: bool = True) -> dict:
    return {
        "kind": "alliance",
        "name": "x",
        "status": "ok" if ok else "failed",
        "figures": {"status": status, "revenue_at_risk": at_risk, "currency": "USD"},
        "files": {"html": "a.html", "ipynb": "nb.ipynb"},
    }


def test_index_lists_alliances_by_attention_and_notebooks_apart(tmp_path):
    manifest = {
        "period": "2026-Q3", "package_version": "0", "generated_at": "now", "runs": [],
        "reports": {
            "A001": _alliance("green", 9e6),
            "A002": _alliance("amber", 1e6),
            "A003": _alliance("red", 2e6),
            "A004": _alliance("red", 5e6),
            "A005": _alliance(None, None, ok=False),
            "A006": _alliance("amber", 3e6),
            "A007": _alliance("not assessed", None),
            "A008": _alliance("red", None),
            "portfolio": {"kind": "portfolio", "status": "ok", "files": {"html": "p.html"}},
        },
    }  # fmt: skip
    order = [key for key, _ in publish.by_attention(manifest)]
    assert order == ["A005", "A004", "A003", "A008", "A006", "A002", "A007", "A001"]
    page = publish.write_index(tmp_path, manifest).read_text()
    rows = [page.index(f"<td>{key}</td>") for key in order]
    assert rows == sorted(rows)
    table, analysts = page.split("For analysts", 1)
    assert "nb.ipynb" not in table and "notebook</a>" not in table
    assert analysts.count('href="nb.ipynb"') == 8


def test_pdf_printed_offline_by_chromium(tmp_path):
    html = publish.to_html(executed_notebook(), title="pdf")
    try:
        pdf = publish.to_pdf(html)
    finally:
        publish.close_browser()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    cli_pdf = publish.to_pdf_cli(_write(tmp_path / "r.html", html), tmp_path / "r.pdf")
    assert Path(cli_pdf).read_bytes().startswith(b"%PDF")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _pages_text(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page (poppler's pdftotext, installed with pdftoppm)."""
    import shutil

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is not installed: run the suite with `make test` (.ci/services.sh)")
    src = tmp_path / "page.pdf"
    src.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(src), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")


def _section_after_filler(filler_px: int) -> nbformat.NotebookNode:
    """Filler, then a heading with its intro sentence (one markdown cell, as the report
    notebooks write them), then a table in the next cell's output."""
    nb = nbformat.v4.new_notebook()
    rows = "".join(f"<tr><td>row-{i:02d}</td><td>risk {i}</td></tr>" for i in range(14))
    table = nbformat.v4.new_code_cell("table()")
    table.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": f"<table><thead><tr><th>Id</th><th>Risk</th></tr></thead>"
                               f"<tbody>{rows}</tbody></table>"},
        )
    ]  # fmt: skip
    nb.cells = [
        nbformat.v4.new_markdown_cell(f'Filler.\n\n<div style="height:{filler_px}px"></div>'),
        nbformat.v4.new_markdown_cell("## Risks and issues\n\nOpen risks, most severe first."),
        table,
    ]
    return nb


def test_pdf_never_leaves_a_heading_alone_at_the_bottom_of_a_page(tmp_path):
    """Whatever space is left on the page, the heading (and its intro sentence) is
    printed on the page where its table starts."""
    heading_pages = set()
    try:
        for filler in range(700, 1300, 50):  # moves the heading down the first page
            pages = _pages_text(publish.to_pdf(publish.to_html(_section_after_filler(filler))),
                                tmp_path)  # fmt: skip
            heading = next(i for i, t in enumerate(pages) if "Risks and issues" in t)
            table = next(i for i, t in enumerate(pages) if "row-00" in t)
            assert heading == table, f"filler {filler}px: heading p{heading}, table p{table}"
            assert "Open risks" in pages[heading]
            heading_pages.add(heading)
    finally:
        publish.close_browser()
    assert heading_pages == {0, 1}  # the sweep did reach the case of a page too short
