"""The report batch for real: papermill on warm kernels, process pool and Dask, failure
isolation, timeouts, re-runs, parameters refused up front, the CLI and the demo."""

from __future__ import annotations

import contextlib
import datetime as dt
import html.parser
import json
import pickle
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from click.testing import CliRunner

from alliance_kit.cli import main
from alliance_kit.delivery import batch
from alliance_kit.records import sample
from alliance_kit.views import formatting, reporting

pytestmark = pytest.mark.notebook

PERIOD = "2026-Q3"
TODAY = dt.date(2026, 11, 27)  # PERIOD is closed; 2026-Q4 is in progress
XSS_NAME = "<script>alert(1)</script> Co-Sell"
XSS_NOTE = '<img src=x onerror="alert(2)"> & notes'
SECRET_DB = "postgresql://alice:s3cret-pw@db.example.internal/alliances"


def sample_frames() -> dict:
    """The sample portfolio with partner names and notes holding HTML and script."""
    frames = sample.portfolio(n_alliances=12, seed=7, last_period=PERIOD)
    a = frames["alliances"].copy()
    a.loc[a["id"] == "A002", "name"] = XSS_NAME
    a.loc[a["id"] == "A002", "partner"] = "<b>Bold</b> Partner Inc"
    a.loc[a["id"] == "A002", "notes"] = XSS_NOTE
    frames["alliances"] = a
    return frames


class Figures(html.parser.HTMLParser):
    """Collects ``data-figure`` elements: name -> list of (data-value, shown text)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[tuple[str, str]]] = {}
        self._open: list[tuple[str, str] | None] = []
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-figure" in a:
            self._open.append((a["data-figure"], a.get("data-value", "")))
            self._text = []
        elif self._open:
            self._open.append(None)

    def handle_endtag(self, tag):
        if not self._open:
            return
        top = self._open.pop()
        if top is not None:
            self.found.setdefault(top[0], []).append((top[1], "".join(self._text).strip()))

    def handle_data(self, data):
        if self._open:
            self._text.append(data)


def figures_in(path: Path) -> dict[str, list[tuple[str, str]]]:
    parser = Figures()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.found


@pytest.fixture(scope="module")
def frames():
    return sample_frames()


@pytest.fixture(scope="module")
def built(tmp_path_factory, frames):
    out = tmp_path_factory.mktemp("reports")
    result = batch.run(
        PERIOD,
        frames=frames,
        out=out,
        alliance_ids=["A001", "A002", "A011"],
        workers=2,
        progress=False,
        as_of=TODAY,
        db=SECRET_DB,  # unused by the notebooks (they read scores_path): must not leak
    )
    return result


def test_reports_build_with_index_manifest_and_executed_notebooks(built):
    assert built.ok, built.summary()
    folder = built.folder
    assert sorted(built.ran) == ["A001", "A002", "A011", "portfolio"]
    for key in ("A001", "A002", "A011"):
        assert (folder / "alliances" / f"{key}.html").stat().st_size > 10_000
        nb = nbformat.read(folder / "notebooks" / f"{key}.ipynb", as_version=4)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert (folder / "portfolio.html").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["period"] == PERIOD
    for key, entry in manifest["reports"].items():
        assert entry["status"] == "ok", key
        assert entry["fingerprint"] and entry["duration_s"] > 0
    assert manifest["reports"]["A011"]["figures"]["status"] == "red"
    index = (folder / "index.html").read_text()
    for link in ("alliances/A001.html", "alliances/A011.html", "portfolio.html"):
        assert f'href="{link}"' in index
    assert "notebooks/A001.ipynb" in index


def test_portfolio_header_counts_the_alliances_running_in_the_period(built, frames):
    page = (built.folder / "portfolio.html").read_text()
    assert "Alliance portfolio report \u2014 2026-Q3</h1>" in page
    assert "in progress" not in page  # 2026-Q3 closed before TODAY
    # A012 ended on 2026-03-31: 11 of the store's 12 alliances ran in 2026-Q3
    assert len(frames["alliances"]) == 12
    assert "11 alliances running this period" in page


def test_report_html_has_no_code_no_script_and_no_cdn(built):
    page = (built.folder / "alliances" / "A001.html").read_text()
    assert "<script" not in page
    assert "cdnjs" not in page and "unpkg" not in page and "jsdelivr" not in page
    assert "reporting.executive_summary" not in page  # no code cells
    assert "scores_path" not in page  # parameters cells removed
    assert "<svg" in page  # charts inline, offline
    assert "Executive summary" in page


def test_figures_in_html_equal_alliance_kits(built, frames):
    inputs = reporting.prepare(frames, PERIOD)
    expected = reporting.executive_summary(inputs, "A011").figures()
    found = figures_in(built.folder / "alliances" / "A011.html")
    for name in ("health_index", "open_cracks", "failure_probability", "revenue_at_risk"):
        (value, _shown), *_ = found[name]
        assert float(value) == pytest.approx(expected[name]), name
    assert found["status"][0][0] == expected["status"]
    # the shown text is the formatted figure
    assert found["health_index"][0][1] == reporting.score(expected["health_index"])  # one decimal
    assert found["revenue_at_risk"][0][1] == formatting.money(
        expected["revenue_at_risk"], expected["currency"]
    )  # the figure alone; its 90% range on the line under it
    page = (built.folder / "alliances" / "A011.html").read_text()
    assert re.search(r'data-figure="revenue_at_risk"[^>]*>[^<]*</div><div class="ak-sub">'
                     r"[^<]*\(90% range\)</div>", page)  # fmt: skip
    # crack scores, in crack order, equal the scores frame's
    cracks = inputs.scores.cracks
    want = cracks[cracks["alliance_id"] == "A011"].sort_values("crack")["score"]
    got = [float(v) for v, _ in found["crack_score"]]
    assert got == pytest.approx(list(want))
    # and the manifest recorded the same figures
    manifest = json.loads((built.folder / "manifest.json").read_text())
    assert manifest["reports"]["A011"]["figures"]["health_index"] == expected["health_index"]


def test_portfolio_html_leads_with_what_to_decide(built, frames):
    """Issue 16: the alliances needing attention first, then one revenue-at-risk figure per
    currency; no example company figure and no command-line syntax on the page."""
    page = (built.folder / "portfolio.html").read_text()
    order = ["Alliances-that-need-executive-attention", "Revenue-at-risk",
             "What-changed-this-quarter", "Health-against-strategic-value",
             "What-alliance-failure-would-cost-the-company"]  # fmt: skip
    at = [page.index(f'<h2 id="{h}"') for h in order]
    assert at == sorted(at)
    found = figures_in(built.folder / "portfolio.html")
    inputs = reporting.prepare(frames, PERIOD)
    head = reporting.revenue_at_risk(inputs).headline()
    assert [shown for _, shown in found["revenue_at_risk"]] == [
        formatting.money(v, c)
        for v, c in zip(head["revenue_at_risk"], head["currency"], strict=True)
    ]
    assert found["attention"][0][0] == str(len(reporting.attention(inputs)))
    # without the company's own figures no company cost, not even the seed's example
    assert "shortfall_field" not in found and "shortfall_portfolio" not in found
    assert "200.0M" not in page
    assert "Company figures not set" in page
    body = page.split("<body", 1)[1]
    assert "--company" not in body and "alliance-kit report" not in body


def test_user_text_is_escaped_in_html(built):
    page = (built.folder / "alliances" / "A002.html").read_text()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<b>Bold</b>" not in page
    assert "&lt;img src=x onerror=" in page
    index = (built.folder / "index.html").read_text()
    assert "<script>alert(1)" not in index and "&lt;script&gt;alert(1)" in index


def broken_notebook(tmp_path: Path, code: str) -> Path:
    """The alliance report with ``code`` inserted after its parameters cell."""
    nb = nbformat.read(batch.alliance_notebook(), as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(code))
    path = tmp_path / "alliance_report.ipynb"
    nbformat.write(nb, path)
    return path


def test_failing_and_hanging_alliances_do_not_stop_the_others_and_reruns(tmp_path, frames):
    marker = tmp_path / "break"
    marker.write_text("on")
    nb = broken_notebook(
        tmp_path,
        "import os, time\n"
        f"if alliance == 'A003' and os.path.exists({str(marker)!r}):\n"
        "    raise RuntimeError('broken on purpose')\n"
        "if alliance == 'A004':\n"
        "    time.sleep(600)\n",
    )
    out = tmp_path / "out"
    kw = dict(frames=frames, out=out, workers=2, progress=False, alliance_nb=nb)
    ids = ["A001", "A003", "A004"]
    first = batch.run(PERIOD, alliance_ids=ids, timeout=20, **kw)
    assert set(first.failed) == {"A003", "A004"}
    reports = first.manifest["reports"]
    assert reports["A001"]["status"] == "ok" and reports["portfolio"]["status"] == "ok"
    assert reports["A003"]["status"] == "failed"
    assert "broken on purpose" in reports["A003"]["error"]
    assert reports["A004"]["status"] == "timeout"
    assert "A003" in first.summary() and "A004" in first.summary()
    assert (out / PERIOD / "notebooks" / "A003.failed.ipynb").exists()
    assert not (out / PERIOD / "alliances" / "A003.html").exists()

    # fixed: only what failed runs again (A004 still hangs: give it a short leash)
    marker.unlink()
    second = batch.run(PERIOD, alliance_ids=["A001", "A003"], timeout=20, **kw)
    assert second.ran == ["A003"] and sorted(second.skipped) == ["A001", "portfolio"]
    assert second.ok
    assert (out / PERIOD / "alliances" / "A003.html").exists()
    assert not (out / PERIOD / "notebooks" / "A003.failed.ipynb").exists()

    # A001's records change: A001 and the portfolio report are redone, A003 is not
    changed = dict(frames)
    a = changed["alliances"].copy()
    a.loc[a["id"] == "A001", "notes"] = "changed this quarter"
    changed["alliances"] = a
    good_html = (out / PERIOD / "alliances" / "A003.html").read_bytes()
    third = batch.run(
        PERIOD, alliance_ids=["A001", "A003"], timeout=20, **{**kw, "frames": changed}
    )
    assert sorted(third.ran) == ["A001", "portfolio"]

    # a report that breaks again keeps its last good HTML in place
    marker.write_text("on")
    fourth = batch.run(
        PERIOD, alliance_ids=["A001", "A003"], timeout=20, force=True, **{**kw, "frames": changed}
    )
    assert sorted(fourth.ran) == ["A001", "A003", "portfolio"]
    assert set(fourth.failed) == {"A003"}
    assert (out / PERIOD / "alliances" / "A003.html").read_bytes() == good_html


def test_unknown_parameters_are_refused_before_anything_runs(tmp_path, frames):
    with pytest.raises(ValueError, match="unknown report parameter.*no_such_thing"):
        batch.run(PERIOD, frames=frames, out=tmp_path, params={"no_such_thing": 1}, progress=False)
    assert not (tmp_path / PERIOD).exists()


def test_dask_executor_on_a_local_cluster(tmp_path, frames):
    result = batch.run(
        PERIOD,
        frames=frames,
        out=tmp_path,
        alliance_ids=["A001", "A005"],
        executor="dask",
        workers=2,
        progress=False,
    )
    assert result.ok, result.summary()
    assert (tmp_path / PERIOD / "alliances" / "A005.html").exists()
    assert (tmp_path / PERIOD / "portfolio.html").exists()
    assert result.manifest["reports"]["A005"]["figures"]["alliance_id"] == "A005"


@pytest.fixture
def sample_db(tmp_path):
    from alliance_kit.records.opening import open_store

    path = tmp_path / "store.sqlite"
    sample.load(open_store(str(path), create=True), last_period=PERIOD)
    return str(path)


def test_cli_report_and_its_exit_codes(tmp_path, sample_db):
    runner = CliRunner()
    out = tmp_path / "cli"
    # -p is the quarter, in any case, as for score and explain
    args = ["report", "--db", sample_db, "--out", str(out), "-p", PERIOD.lower()]
    bad = runner.invoke(main, [*args, "--param", "bogus=1"])
    assert bad.exit_code != 0 and "unknown report parameter" in bad.output
    bad = runner.invoke(main, [*args, "--alliance", "NOPE"])
    assert bad.exit_code != 0 and "NOPE" in bad.output
    bad = runner.invoke(main, [*args, "--exchange-rate", "EUR=-1"])
    assert bad.exit_code != 0 and "CUR=RATE" in bad.output
    ok = runner.invoke(
        main,
        [*args, "--alliance", "A003", "--company-revenue", "2e9", "--alliance-share", "0.4"]
        + ["--exchange-rate", "eur=1.1", "--no-progress"],
    )
    assert ok.exit_code == 0, ok.output
    assert "index:" in ok.output
    found = figures_in(out / PERIOD / "portfolio.html")
    assert float(found["shortfall_field"][0][0]) == pytest.approx(2e9 * 0.4 * 0.5)
    assert "converted to USD" in (out / PERIOD / "portfolio.html").read_text()


def test_period_previous_and_formats():
    import datetime as dt

    assert batch.resolve_period("previous", dt.date(2026, 11, 2)) == "2026-Q3"
    assert batch.parse_formats("html, PDF") == ("html", "pdf")
    with pytest.raises(ValueError, match="docx"):
        batch.parse_formats("html,docx")
    with pytest.raises(ValueError):
        batch.resolve_period("2026-Q5")


def test_demo_loads_the_sample_and_prints_where_the_index_is(tmp_path):
    db = tmp_path / "demo.sqlite"
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["demo", "--db", str(db), "--alliances", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "loaded the sample portfolio" in result.output
    index = next(out.glob("*/index.html"))
    assert index.resolve().as_uri() in result.output
    assert (index.parent / "portfolio.html").exists()


def _report_notebook(path: Path, code: str) -> Path:
    """A one-cell report notebook with an ``alliance`` parameter, written to ``path``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("alliance = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_a_warm_kernel_forgets_the_previous_notebooks_variables(tmp_path):
    """Two notebooks on one warm kernel: the second cannot see the first's variables."""
    path = _report_notebook(
        tmp_path / "probe.ipynb",
        "from alliance_kit.views.notebook import record\n"
        "record('leaked', 'left_behind' in globals())\n"
        "left_behind = alliance",
    )

    def job(key):
        return batch.Job(key, "alliance", key, str(path), {"alliance": key}, ("html",), 120, "")

    try:
        first = batch.render(job("A"), str(tmp_path / "unused.pkl"))
        second = batch.render(job("B"), str(tmp_path / "unused.pkl"))
        assert batch.warm_kernel().runs == 2  # the same kernel ran both
    finally:
        batch.shutdown_worker()
    assert first.status == second.status == "ok", (first.error, second.error)
    assert first.results == {"leaked": False} and second.results == {"leaked": False}
    assert "html" in second.outputs


def test_a_period_no_alliance_ran_in_is_refused_before_anything_runs(tmp_path, frames):
    with pytest.raises(
        ValueError, match=r"no alliance was running in 2019-Q1: .*2019-Q2 to 2026-Q4"
    ):
        batch.run("2019-Q1", frames=frames, out=tmp_path, progress=False, as_of=TODAY)
    with pytest.raises(ValueError, match="A012 not running in 2026-Q3"):
        batch.run(
            PERIOD, frames=frames, out=tmp_path, alliance_ids=["A012"], progress=False, as_of=TODAY
        )
    assert list(tmp_path.iterdir()) == []


def test_a_period_that_has_not_started_is_refused_before_anything_runs(tmp_path, frames):
    with pytest.raises(ValueError, match="2027-Q4 has not started yet"):
        batch.run("2027-Q4", frames=frames, out=tmp_path, progress=False, as_of=TODAY)
    with pytest.raises(ValueError, match="2026-Q4 has not started yet"):
        batch.run(
            "2026-Q4", frames=frames, out=tmp_path, progress=False, as_of=dt.date(2026, 9, 30)
        )
    assert list(tmp_path.iterdir()) == []


def test_cli_report_refuses_empty_and_future_periods(tmp_path, sample_db):
    runner = CliRunner()
    out = tmp_path / "cli"
    args = ["report", "--db", sample_db, "--out", str(out), "--as-of", "2026-11-27"]
    r = runner.invoke(main, [*args, "--period", "2019-Q1"])
    assert r.exit_code != 0 and "no alliance was running in 2019-Q1" in r.output
    assert "2019-Q2 to 2026-Q4" in r.output and "built" not in r.output
    r = runner.invoke(main, [*args, "--period", "2027-Q4"])
    assert r.exit_code != 0 and "2027-Q4 has not started yet" in r.output
    assert not out.exists()


def test_a_period_in_progress_is_reported_and_labelled_so(tmp_path, frames):
    as_of = dt.date(2026, 8, 15)
    label = "2026-Q3 (in progress, as of 2026-08-15)"
    result = batch.run(
        PERIOD, frames=frames, out=tmp_path, alliance_ids=["A001"], progress=False, as_of=as_of
    )
    assert result.ok, result.summary()
    assert result.summary().startswith(f"{label}: 1 alliance report and the portfolio report built")
    assert (
        f"alliance report {label}</h1>" in (tmp_path / PERIOD / "alliances/A001.html").read_text()
    )
    assert (
        f"portfolio report \u2014 {label}</h1>"
        in (tmp_path / PERIOD / "portfolio.html").read_text()
    )


def test_fingerprints_of_a_period_in_progress_move_with_the_as_of_day(tmp_path, frames):
    def prints(period: str, as_of: dt.date) -> list[str]:
        jobs = batch.plan(
            period, frames=frames, scores=None, folder=tmp_path, alliance_ids=["A001"], as_of=as_of
        )
        return [job.fingerprint for job in jobs]

    assert prints(PERIOD, dt.date(2026, 8, 15)) != prints(PERIOD, dt.date(2026, 8, 16))
    assert prints(PERIOD, dt.date(2026, 11, 27)) == prints(PERIOD, dt.date(2027, 2, 1))


def test_report_pages_never_show_warnings_or_stderr(tmp_path):
    """A warning is silenced in the report kernel; anything else written to stderr stays
    in the executed notebook but never reaches the HTML page."""
    path = _report_notebook(
        tmp_path / "noisy.ipynb",
        "import sys, warnings\n"
        "warnings.warn('probe-warning: cannot infer type', UserWarning)\n"
        "sys.stderr.write('probe-stderr line\\n')\n"
        "print('probe-stdout line')",
    )
    job = batch.Job("A", "alliance", "A", str(path), {"alliance": "A"}, ("html",), 120, "")
    try:
        result = batch.render(job, str(tmp_path / "unused.pkl"))
    finally:
        batch.shutdown_worker()
    assert result.status == "ok", result.error
    executed = nbformat.reads(result.outputs["ipynb"].decode(), as_version=4)
    streams = {o["name"]: o["text"] for o in executed.cells[-1].outputs}
    assert "probe-warning" not in streams.get("stderr", "")  # filtered in the kernel
    assert "probe-stderr line" in streams["stderr"]  # kept for debugging
    page = result.outputs["html"].decode()
    assert "probe-stdout line" in page
    assert "probe-stderr" not in page and "probe-warning" not in page
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page


# --- the report folder is shared: nothing in it holds more than the pages ------------------


def test_the_report_folder_holds_no_more_than_the_pages_show(built):
    """No working inputs (every record), no store password, no private path, and no text
    repr behind an HTML output (the business case section's repr holds the partner's NPV,
    which no page shows) in anything the run leaves in the report folder."""
    folder = built.folder
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert not (folder / ".inputs").exists()
    assert not [p for p in files if p.suffix == ".pkl"]
    for path in files:
        assert b"s3cret-pw" not in path.read_bytes(), path
    for key in ("A001", "portfolio"):
        text = (folder / "notebooks" / f"{key}.ipynb").read_text()
        nb = nbformat.reads(text, as_version=4)
        params = nb.metadata["papermill"]["parameters"]
        assert params["db"] == "postgresql://alice:***@db.example.internal/alliances"
        assert params["scores_path"] is None
        (injected,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert "scores_path = None" in injected.source and "***" in injected.source
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if "text/html" in output.get("data", {}):
                    assert "text/plain" not in output["data"], key
        assert "npv_partner" not in text and "BusinessCaseSection(" not in text
        assert batch.publish.notebook_results(nb) == built.manifest["reports"][key]["figures"]


def _probe_notebook(path: Path, declares: str) -> Path:
    """A report notebook that records where its inputs are and who may read them."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(declares + "\nperiod = None\nscores_path = None")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import os, stat\n"
            "from alliance_kit.views.notebook import record\n"
            "mode = lambda p: oct(stat.S_IMODE(os.stat(p).st_mode))\n"
            "record('inputs', scores_path)\n"
            "record('folder_mode', mode(os.path.dirname(scores_path)))\n"
            "record('file_mode', mode(scores_path))"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


class _Planted:
    """A pickle that leaves a mark when it is loaded."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self):
        return (Path.touch, (self.mark,))


def test_inputs_live_in_a_private_folder_removed_after_the_run(tmp_path, frames, monkeypatch):
    out = tmp_path / "out"
    folder = out / PERIOD
    (folder / ".inputs").mkdir(parents=True)
    mark = tmp_path / "unpickled"
    (folder / ".inputs" / "portfolio.pkl").write_bytes(pickle.dumps(_Planted(mark)))
    kw = dict(
        frames=frames,
        out=out,
        workers=1,
        progress=False,
        as_of=TODAY,
        alliance_nb=_probe_notebook(tmp_path / "a.ipynb", "alliance = None"),
        portfolio_nb=_probe_notebook(tmp_path / "p.ipynb", ""),
    )
    result = batch.run(PERIOD, alliance_ids=["A001"], **kw)
    assert result.ok, result.summary()
    figures = result.manifest["reports"]["A001"]["figures"]
    assert (figures["folder_mode"], figures["file_mode"]) == ("0o700", "0o600")
    inputs = Path(figures["inputs"])
    assert not inputs.is_relative_to(out) and not inputs.parent.exists()
    assert not mark.exists()  # the planted pickle was never loaded ...
    assert not (folder / ".inputs").exists()  # ... and the old inputs are gone

    # a run that breaks after writing its inputs still removes them
    seen = {}

    def broken_pool(jobs, inputs, done, *, workers):
        seen["inputs"] = Path(inputs)
        assert seen["inputs"].exists()
        raise RuntimeError("the pool broke")

    monkeypatch.setattr(batch, "run_local", broken_pool)
    with pytest.raises(RuntimeError, match="the pool broke"):
        batch.run(PERIOD, alliance_ids=["A001"], force=True, **kw)
    assert not seen["inputs"].parent.exists()


def test_an_alliance_id_that_cannot_name_a_file_fails_alone(tmp_path, frames):
    """Ids from a store written before ids were checked: one leading out of the folder,
    one holding a NUL. Each fails on its own; the others, the portfolio report and the
    index are built, and nothing is written outside the period's folder."""
    bad = ["../../escape", "A\x00B"]
    f = dict(frames)
    a = f["alliances"]
    copies = [a[a["id"] == "A001"].assign(id=i, name=f"copy {n}") for n, i in enumerate(bad)]
    f["alliances"] = pd.concat([a, *copies], ignore_index=True)
    out = tmp_path / "out"
    result = batch.run(
        PERIOD,
        frames=f,
        out=out,
        alliance_ids=["A001", *bad],
        workers=1,
        progress=False,
        as_of=TODAY,
        alliance_nb=_probe_notebook(tmp_path / "a.ipynb", "alliance = None"),
        portfolio_nb=_probe_notebook(tmp_path / "p.ipynb", ""),
    )
    assert set(result.failed) == set(bad)
    assert all("cannot name a report file" in e for e in result.failed.values())
    reports = result.manifest["reports"]
    assert reports["A001"]["status"] == "ok" and reports["portfolio"]["status"] == "ok"
    assert "1 alliance report and the portfolio report built" in result.summary()
    assert "2 failed" in result.summary() and "\x00" not in result.summary()
    written = [p for p in out.rglob("*") if p.is_file()]
    assert written and all(p.is_relative_to(result.folder) for p in written)
    assert not [p for p in tmp_path.rglob("*escape*")]
    assert (result.folder / "index.html").exists()
    assert (result.folder / "alliances" / "A001.html").exists()


def test_report_killed_by_sigkill_leaves_no_worker_or_kernel_running(tmp_path, sample_db):
    """kill -9 of `alliance-kit report` runs no clean-up of its own: its workers and their
    kernels must still end with it (each dies with its parent), not keep a gigabyte."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    exe = Path(sys.executable).with_name("alliance-kit")
    args = ["report", "--db", sample_db, "--out", str(tmp_path / "out"), "--period", PERIOD]
    proc = subprocess.Popen(
        [str(exe), *args, "--workers", "2", "--format", "html", "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: dict[int, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, "the report ended before its kernels were seen"
            assert time.monotonic() < deadline, "never saw two kernels running"
            with contextlib.suppress(psutil.NoSuchProcess):
                for p in psutil.Process(proc.pid).children(recursive=True):
                    seen.setdefault(p.pid, p)
            kernels = [
                p for p in seen.values() if p.is_running() and "ipykernel" in " ".join(p.cmdline())
            ]
            if len(kernels) >= 2:
                break
            time.sleep(0.2)
        with contextlib.suppress(psutil.NoSuchProcess):  # the latest, just before the kill
            for p in psutil.Process(proc.pid).children(recursive=True):
                seen.setdefault(p.pid, p)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        _gone, alive = psutil.wait_procs(list(seen.values()), timeout=30)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, [(p.pid, p.cmdline()) for p in alive]
    finally:
        for p in seen.values():
            with contextlib.suppress(psutil.Error):
                p.kill()
        if proc.poll() is None:
            proc.kill()


# --- stopping a batch: Ctrl-C and SIGTERM (issue 16) ---------------------------------------

NOISE = ("Traceback", "ZMQError", "DeadKernelError", "Aborted", "Error", "never awaited")


def _note_descendants(pid: int, seen: dict) -> None:
    """Add every process below ``pid`` to ``seen`` (workers, their kernels), with its
    command line, read while it runs."""
    import psutil

    with contextlib.suppress(psutil.NoSuchProcess):
        for p in psutil.Process(pid).children(recursive=True):
            if p.pid not in seen:
                with contextlib.suppress(psutil.Error):
                    seen[p.pid] = (p, p.cmdline())


def _state(p) -> str:
    import psutil

    try:
        return p.status()
    except psutil.Error:
        return "gone"


def _kernels(seen: dict) -> list:
    return [(p, cmd) for p, cmd in seen.values() if any("ipykernel" in c for c in cmd)]


def _connection_files(seen: dict) -> list[str]:
    """The connection files of the kernels seen (``ipykernel_launcher -f FILE``)."""
    return [cmd[cmd.index("-f") + 1] for _p, cmd in _kernels(seen) if "-f" in cmd]


def _stop_when_a_report_is_written(proc, folder: Path, send, seen: dict, ready=None) -> None:
    """Watch ``proc`` until an alliance page exists in ``folder`` (and ``ready()``), then
    ``send()`` the signal; note every descendant on the way."""
    import time

    deadline = time.monotonic() + 300
    while not (list(folder.glob("alliances/*.html")) and (ready is None or ready())):
        assert proc.poll() is None, proc.communicate()[0]
        if time.monotonic() > deadline:
            proc.kill()
            states = [(p.pid, _state(p), cmd[-2:]) for p, cmd in seen.values()]
            files = sorted(str(f.relative_to(folder)) for f in folder.rglob("*"))
            pytest.fail(f"not ready: {files} {states}\n{proc.communicate()[0]}")
        _note_descendants(proc.pid, seen)
        time.sleep(0.1)
    _note_descendants(proc.pid, seen)
    send()


def _assert_stopped_cleanly(out: str, folder: Path, seen: dict, conn_files: list[str]) -> dict:
    """No noise, nothing half-written, nothing left running; returns the manifest."""
    import psutil

    for word in NOISE:
        assert word not in out, out
    _gone, alive = psutil.wait_procs([p for p, _cmd in seen.values()], timeout=30)
    alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, [(p.pid, p.cmdline()) for p in alive]
    assert conn_files and not [f for f in conn_files if Path(f).exists()]  # shut down whole
    assert not list(folder.rglob(".alliance-kit-*.tmp"))
    manifest = json.loads((folder / "manifest.json").read_text())  # valid JSON
    built = {k for k, r in manifest["reports"].items() if r["status"] == "ok"}
    pages = {p.stem for p in folder.glob("alliances/*.html")}
    pages |= {"portfolio"} if (folder / "portfolio.html").exists() else set()
    assert pages == built  # a page exists only for a report recorded as finished
    for page in folder.rglob("*.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert manifest["runs"][-1]["not_built"]
    return manifest


def test_report_ctrl_c_stops_quietly_keeps_what_finished_and_a_rerun_resumes(tmp_path, sample_db):
    """Ctrl-C in a terminal: SIGINT to the whole process group (workers included)."""
    import os
    import signal
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("alliance-kit")
    out = tmp_path / "out"
    folder = out / PERIOD
    args = ["report", "--db", sample_db, "--out", str(out), "--period", PERIOD,
            "--as-of", TODAY.isoformat(), "--alliance", "A001", "--alliance", "A002",
            "--alliance", "A003", "--workers", "2", "--format", "html"]  # fmt: skip
    proc = subprocess.Popen(
        [str(exe), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    seen: dict = {}
    try:
        _stop_when_a_report_is_written(
            proc, folder, lambda: os.killpg(proc.pid, signal.SIGINT), seen
        )
        text, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, text
    manifest = _assert_stopped_cleanly(text, folder, seen, _connection_files(seen))
    built = sorted(k for k, r in manifest["reports"].items() if r["status"] == "ok")
    not_built = manifest["runs"][-1]["not_built"]
    assert built and sorted(built + not_built) == ["A001", "A002", "A003", "portfolio"]
    [summary, resume, index] = text.strip().splitlines()
    assert summary.startswith(f"Stopped by Ctrl-C. {PERIOD}:") and "nothing half-written" in summary
    n = sum(1 for k in built if k != "portfolio")
    assert f"{n} alliance report{'' if n == 1 else 's'}" in summary
    assert all(k in summary for k in not_built if k != "portfolio")
    assert resume.startswith("Run the same command again to resume")
    assert index == f"index: {folder / 'index.html'}"
    kept = {k: _page(folder, k).stat().st_mtime_ns for k in built}

    again = CliRunner().invoke(main, [*args, "--no-progress"])
    assert again.exit_code == 0, again.output
    assert f"{len(built)} up to date, 0 failed" in again.output
    assert {k: _page(folder, k).stat().st_mtime_ns for k in built} == kept  # not redone
    final = json.loads((folder / "manifest.json").read_text())
    assert {k: r["status"] for k, r in final["reports"].items()} == dict.fromkeys(
        ["A001", "A002", "A003", "portfolio"], "ok"
    )
    assert all(_page(folder, k).exists() for k in not_built)


def _page(folder: Path, key: str) -> Path:
    return folder / "portfolio.html" if key == "portfolio" else folder / "alliances" / f"{key}.html"


SLOW_DRIVER = """
import datetime as dt, sys
from alliance_kit.cli.report import run_reports
db, out, nb = sys.argv[1:4]
run_reports(period="{period}", db=db, out=out, alliance_ids=["A001", "A004"], workers=2,
            formats="html", alliance_nb=nb, progress=False, as_of=dt.date.fromisoformat("{today}"))
"""


def test_report_sigterm_in_the_middle_of_a_notebook_stops_quietly(tmp_path, sample_db):
    """SIGTERM (systemd, kill) while a kernel is busy in a report: the report is dropped
    whole, its kernel ended, and nothing but the summary is printed (status 143)."""
    import signal
    import subprocess
    import sys

    import psutil

    nb = broken_notebook(tmp_path, "import time\nif alliance == 'A004':\n    time.sleep(600)\n")
    out = tmp_path / "out"
    folder = out / PERIOD
    script = SLOW_DRIVER.format(period=PERIOD, today=TODAY.isoformat())
    proc = subprocess.Popen(
        [sys.executable, "-c", script, sample_db, str(out), str(nb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: dict = {}

    def a_kernel_busy() -> bool:
        # A004's kernel sleeps; the other worker's may already be gone (under load it can
        # finish A001 and the portfolio before a poll sees it)
        return any(_state(p) not in ("zombie", "gone") for p, _cmd in _kernels(seen))

    try:
        _stop_when_a_report_is_written(
            proc, folder, lambda: proc.send_signal(signal.SIGTERM), seen, ready=a_kernel_busy
        )
        text, _ = proc.communicate(timeout=120)
    finally:
        for p, _cmd in seen.values():
            with contextlib.suppress(psutil.Error):
                p.kill()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, text
    manifest = _assert_stopped_cleanly(text, folder, seen, _connection_files(seen))
    assert manifest["reports"]["A001"]["status"] == "ok"
    assert "A004" in manifest["runs"][-1]["not_built"] and "A004" not in manifest["reports"]
    assert not (folder / "notebooks" / "A004.ipynb").exists()
    assert text.startswith(f"Stopped by SIGTERM. {PERIOD}: 1 alliance report built")
    assert manifest["runs"][-1]["stopped_by"] == "SIGTERM"
