"""The periodic report batch: every alliance's report and the portfolio report for a
period, run with papermill on warm kernels, in a process pool or on a Dask cluster.

Why it is shaped like this:

- The store is read and the portfolio scored **once**, in the calling process; the result
  goes to one pickle that every notebook reads (``scores_path``). A report then only
  renders. The pickle holds every record (respondents' answers, e-mail addresses): it lives
  in a private temp folder (mode 0700) that is removed after the run, never in the report
  folder, and nothing is ever unpickled from the report folder.
- Nothing the run leaves in the report folder holds more than the pages show: the kept
  executed notebooks lose the store URL's password and the private inputs path, and every
  output keeps only what the page shows of it (no text repr behind an HTML one).
- Report file names come from alliance ids through :func:`alliance_kit.records.paths.safe_child`;
  an id that cannot name a file fails its own report, not the run.
- Each worker process keeps **one kernel warm** across notebooks (a papermill engine,
  ``alliance_kit_warm``, that hands papermill's client an already started kernel and
  resets the namespace between notebooks). A fresh kernel plus pandas and altair costs
  about 1.7 s; a warm one costs a namespace reset.
- HTML is exported in-process (nbconvert's HTMLExporter, one per worker) and PDF printed
  by one headless Chromium per worker.
- Workers return bytes; the calling process writes every file atomically, so a killed
  run never leaves a half-written report and a Dask cluster needs no shared disk. The
  manifest is rewritten after each report, so a rerun after a crash resumes.
- Ctrl-C is the calling process's business: pool workers ignore it (the terminal sends it
  to them too) and are stopped with SIGTERM, ending their kernels without the tracebacks
  a notebook interrupted mid-message prints (see :func:`run_local`).
- A report's fingerprint covers the alliance's records, its computed scores, the notebook
  and the package version; re-running a period redoes only failed, changed or missing
  reports.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import pickle
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from alliance_kit import __version__, config
from alliance_kit.assess import scoring
from alliance_kit.delivery import publish
from alliance_kit.delivery.processes import (
    STOP_SIGNALS,
    Stopped,
    die_with_parent,
    preexec_die_with_parent,
    signal_name,
    signals_blocked,
    signals_ignored,
    unblock_signals,
)
from alliance_kit.records import keys, periods
from alliance_kit.records.model import visible
from alliance_kit.records.paths import UnsafePath, safe_child

log = logging.getLogger("alliance_kit.delivery.batch")

ENGINE_NAME = "alliance_kit_warm"
FORMATS = ("html", "pdf", "ipynb")
DEFAULT_FORMATS = ("html", "ipynb")
KERNEL_NAME = "python3"
TCP_WARNING = "Kernel is running over TCP without encryption"
#: Run before each notebook: drop the previous notebook's variables and output cache.
#: Cheaper than ``%reset -f``, whose full garbage collection costs ~0.5 s a notebook.
RESET = (
    "_ip, _k = get_ipython(), None\n"
    "for _k in [k for k in _ip.user_ns if not k.startswith('_') "
    "and k not in _ip.user_ns_hidden]:\n"
    "    del _ip.user_ns[_k]\n"
    "_ip.user_ns['_oh'].clear()\n"
    "_ip.user_ns.update({'_': '', '__': '', '___': ''})\n"
    "del _ip, _k"
)
#: Run once in each new kernel: the imports every report needs, paid once per worker, and
#: no Python warnings (a library's UserWarning is not something a report reader can act on;
#: the executed notebook still keeps any stderr output for whoever debugs it).
WARM_UP = (
    "import warnings\n"
    "warnings.simplefilter('ignore')\n"
    "import altair, vl_convert\n"
    "import alliance_kit.views.reporting, alliance_kit.assess.health\n"
    "import alliance_kit.imagine.business_case, alliance_kit.align.governance\n"
    "import alliance_kit.views.notebook"
)


def notebooks_dir() -> Path:
    return config.project_root() / "notebooks" / "reports"


def alliance_notebook() -> Path:
    return notebooks_dir() / "alliance_report.ipynb"


def portfolio_notebook() -> Path:
    return notebooks_dir() / "portfolio_report.ipynb"


# --- log hygiene ---------------------------------------------------------------------


class _DropTcpWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return TCP_WARNING not in record.getMessage()


def quiet_logs() -> None:
    """Silence per-notebook chatter: papermill's INFO lines and ipykernel's TCP warning,
    which would otherwise repeat once per kernel start."""
    warnings.filterwarnings("ignore", message=f".*{TCP_WARNING}.*")
    for name in ("papermill", "traitlets", "nbclient", "distributed.worker"):
        logging.getLogger(name).addFilter(_DropTcpWarning())
    logging.getLogger("papermill").setLevel(logging.WARNING)
    logging.getLogger().addFilter(_DropTcpWarning())


def _pipe_stderr(stream: Any) -> None:
    """Forward a kernel's stderr to our log, minus the TCP-without-encryption warning."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        if line and TCP_WARNING not in line and "warn(" not in line:
            log.warning("kernel: %s", line)


# --- warm kernels ----------------------------------------------------------------------


class WarmKernel:
    """One IPython kernel kept running for many notebooks in this thread."""

    def __init__(self, kernel_name: str = KERNEL_NAME) -> None:
        self.kernel_name = kernel_name
        self.client: Any = None
        self.runs = 0

    def start(self) -> WarmKernel:
        from nbclient import NotebookClient

        last: Exception | None = None
        for _attempt in range(2):  # parallel starts can collide on ports: retry once
            try:
                client = NotebookClient(
                    nbformat.v4.new_notebook(), kernel_name=self.kernel_name, startup_timeout=60
                )
                client.km = client.create_kernel_manager()
                self.client = client  # from now on kill() can reach it (see _stop_worker)
                client.start_new_kernel(
                    stderr=subprocess.PIPE,
                    cwd=tempfile.gettempdir(),
                    preexec_fn=preexec_die_with_parent(),  # a killed worker takes it along
                )
                client.start_new_kernel_client()
                proc = getattr(client.km.provisioner, "process", None)
                if proc is not None and proc.stderr is not None:
                    threading.Thread(target=_pipe_stderr, args=(proc.stderr,), daemon=True).start()
                self._run(WARM_UP)
                return self
            except Exception as exc:  # noqa: BLE001 - retried once, then raised
                last = exc
                self.shutdown()
        raise RuntimeError(f"could not start a {self.kernel_name} kernel: {last}") from last

    @property
    def km(self) -> Any:
        return self.client.km

    @property
    def kc(self) -> Any:
        return self.client.kc

    @property
    def alive(self) -> bool:
        if self.client is None:
            return False
        from jupyter_core.utils import run_sync

        return bool(run_sync(self.client.km.is_alive)())

    def _run(self, code: str, timeout: float = 60, what: str = "warm-up") -> None:
        """Run ``code`` in the kernel, its output dropped. Not through nbclient's
        ``execute()``, which sets SIGINT and SIGTERM handlers of its own for the run and
        then resets them to the defaults, undoing the worker's (see :func:`_worker_init`)."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(
            code, timeout=timeout, store_history=False, output_hook=lambda _msg: None
        )
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{what} failed: {content.get('ename')}: {content.get('evalue')}")

    def reset(self) -> None:
        """Clear the user namespace so one report cannot see another's variables (modules
        stay imported, which is the point of a warm kernel)."""
        self._run(RESET, timeout=30, what="namespace reset")

    def pid(self) -> int | None:
        try:
            return int(self.km.provisioner.pid)
        except (AttributeError, TypeError):
            return None

    def peak_rss(self) -> int:
        """Peak resident memory of the kernel process, in bytes (Linux)."""
        pid = self.pid()
        if pid is None:
            return 0
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def kill(self, grace: float = 2.0) -> None:
        """End the kernel process now (SIGTERM, SIGKILL after ``grace`` s) and remove its
        connection file. Unlike :meth:`shutdown` it needs no event loop, so a worker told
        to stop can call it from a signal handler, in the middle of a notebook."""
        client, self.client = self.client, None
        if client is None:
            return
        proc = getattr(getattr(client.km, "provisioner", None), "process", None)
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=grace)
        with contextlib.suppress(Exception):
            client.km.cleanup_connection_file()

    def shutdown(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            if client.kc is not None:
                client.kc.stop_channels()
        with contextlib.suppress(Exception):
            from jupyter_core.utils import run_sync

            run_sync(client.km.shutdown_kernel)(now=True)


_local = threading.local()
_all_kernels: list[WarmKernel] = []
_private_dirs: list[Path] = []  # this worker process's private folder (Dask workers)


def warm_kernel(kernel_name: str = KERNEL_NAME) -> WarmKernel:
    """This thread's warm kernel, started (or restarted) when needed."""
    kernel = getattr(_local, "kernel", None)
    if kernel is None or not kernel.alive:
        if kernel is not None:
            kernel.shutdown()
        kernel = WarmKernel(kernel_name)
        _all_kernels.append(kernel)  # before it starts: a stop may come while it does
        try:
            kernel.start()
        except BaseException:
            _all_kernels.remove(kernel)
            raise
        _local.kernel = kernel
    return kernel


def discard_kernel() -> None:
    """Kill this thread's kernel (after a timeout or crash it may be stuck)."""
    kernel = getattr(_local, "kernel", None)
    if kernel is not None:
        kernel.shutdown()
        _local.kernel = None


def shutdown_worker() -> None:
    """Stop every kernel and browser this process started; remove its private folder."""
    for kernel in _all_kernels:
        kernel.shutdown()
    _all_kernels.clear()
    _local.kernel = None
    with contextlib.suppress(Exception):
        publish.close_browser()
    for folder in _private_dirs:
        shutil.rmtree(folder, ignore_errors=True)
    _private_dirs.clear()


def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine, papermill_engines

    class WarmEngine(Engine):
        """Papermill engine that runs the notebook on this thread's warm kernel."""

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            **kwargs,
        ):
            kernel = warm_kernel(kernel_name or KERNEL_NAME)
            kernel.reset()
            # The clock starts once the kernel is warm: a kernel start is not the report's.
            limit = kwargs.get("report_timeout")
            deadline = None if limit is None else time.monotonic() + limit
            _local.last_nb = nb_man.nb

            def remaining(_cell: Any) -> int | None:
                if deadline is None:
                    return execution_timeout
                return max(1, int(deadline - time.monotonic() + 0.999))

            client = PapermillNotebookClient(
                nb_man,
                km=kernel.km,
                kernel_name=kernel.kernel_name,
                timeout_func=remaining,
                startup_timeout=start_timeout,
                log=logging.getLogger("papermill"),
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = kernel.kc
            kernel.runs += 1
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmEngine)


# --- jobs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One report to produce."""

    key: str  # "portfolio" or the alliance id
    kind: str  # "alliance" | "portfolio"
    title: str
    notebook: str
    parameters: dict[str, Any]
    formats: tuple[str, ...]
    timeout: float
    fingerprint: str


@dataclass
class Rendered:
    """What a worker hands back: status, timing, recorded figures and the output bytes."""

    key: str
    status: str  # "ok" | "failed" | "timeout"
    duration: float
    error: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)
    worker: str = ""
    peak_rss: int = 0  # worker process + its kernel, bytes


def _inputs_path(inputs: str | bytes) -> str:
    """A local path for the precomputed portfolio: the path itself (the caller's private
    run folder), or bytes cached by content hash in this worker process's private folder
    (mode 0700; how Dask workers on other machines get it), removed at shutdown."""
    if isinstance(inputs, str):
        return inputs
    if not _private_dirs:
        _private_dirs.append(Path(tempfile.mkdtemp(prefix="alliance-kit-worker-")))
    digest = hashlib.sha256(inputs).hexdigest()[:20]
    path = _private_dirs[0] / f"inputs_{digest}.pkl"
    if not path.exists():
        write_private(path, inputs)
    return str(path)


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new file only its owner can read (mode 0600), atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def private_folder() -> Iterator[Path]:
    """A temp folder only this user can enter (mode 0700), removed when the block ends,
    however it ends: where a run keeps the records its reports read."""
    folder = Path(tempfile.mkdtemp(prefix="alliance-kit-report-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _own_peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def render(job: Job, inputs: str | bytes) -> Rendered:
    """Execute one report notebook on this worker's warm kernel and export it.

    Never raises for a report's own failure: errors and timeouts come back as a status,
    so one broken alliance cannot stop the batch.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    quiet_logs()
    if ENGINE_NAME not in _registered_engines():
        _register_engine()
    start = time.monotonic()
    params = dict(job.parameters, scores_path=_inputs_path(inputs))
    status, error, nb = "ok", None, None
    _local.last_nb = None
    try:
        nb = pm.execute_notebook(
            job.notebook,
            None,
            parameters=params,
            engine_name=ENGINE_NAME,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            request_save_on_cell_execute=False,
            report_timeout=job.timeout,
        )
    except CellTimeoutError:
        status, error = "timeout", f"did not finish within {job.timeout:g} s"
        discard_kernel()
    except DeadKernelError as exc:
        status, error = "failed", f"the kernel died: {exc}"
        discard_kernel()
    except pm.PapermillExecutionError as exc:
        status, error = "failed", f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})"
    except Exception as exc:  # noqa: BLE001 - reported per report, never fatal to the batch
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        if not getattr(_local, "kernel", None) or not _local.kernel.alive:
            discard_kernel()
    nb = nb if nb is not None else getattr(_local, "last_nb", None)
    out = Rendered(key=job.key, status=status, duration=0.0, error=error)
    if nb is not None:
        out.results = publish.notebook_results(nb)
        out.outputs["ipynb"] = nbformat.writes(shareable(nb)).encode("utf-8")
        if status == "ok":
            try:
                html = publish.to_html(without_stderr(nb), title=job.title)
                if "html" in job.formats or "pdf" in job.formats:
                    out.outputs["html"] = html.encode("utf-8")
                if "pdf" in job.formats:
                    out.outputs["pdf"] = publish.to_pdf(html)
            except Exception as exc:  # noqa: BLE001
                out.status, out.error = "failed", f"export failed: {type(exc).__name__}: {exc}"
    out.duration = time.monotonic() - start
    kernel = getattr(_local, "kernel", None)
    out.peak_rss = _own_peak_rss() + (kernel.peak_rss() if kernel else 0)
    out.worker = f"{os.uname().nodename}:{os.getpid()}"
    return out


def without_stderr(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of an executed notebook without its stderr streams (warnings, log lines):
    nbconvert would print them as pink blocks in a report page. The executed .ipynb the
    batch keeps is left as it ran."""
    out = nbformat.from_dict(nb)
    for cell in out.cells:
        if cell.get("cell_type") == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return out


#: Parameters the batch gives a notebook that must not be kept in the report folder.
_PRIVATE_PARAMETERS = ("scores_path",)


def _redacted_url(value: Any) -> Any:
    """A store URL without its password (anything else as given)."""
    if not isinstance(value, str) or "://" not in value:
        return value
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(value).render_as_string(hide_password=True)
    except ArgumentError:
        return "(redacted)"


def shareable(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of an executed notebook fit for the report folder, which is shared: no store
    password and no private inputs path (in papermill's metadata and the injected
    parameters cell), and no text repr kept behind an output's HTML (a section's repr can
    hold figures the page does not show, such as the partner's NPV)."""
    from papermill.translators import translate_parameters

    out = nbformat.from_dict(nb)
    meta = out.metadata.get("papermill", {})
    params = dict(meta.get("parameters") or {})
    for name in _PRIVATE_PARAMETERS:
        if name in params:
            params[name] = None
    if "db" in params:
        params["db"] = _redacted_url(params["db"])
    if "parameters" in meta:
        meta["parameters"] = params
    for cell in out.cells:
        if cell.get("cell_type") != "code":
            continue
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = translate_parameters(KERNEL_NAME, "python", params, "Parameters")
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data and "text/plain" in data and len(data) > 1:
                del data["text/plain"]
    return out


def _registered_engines() -> Mapping[str, Any]:
    from papermill.engines import papermill_engines

    return papermill_engines._engines


# --- planning ----------------------------------------------------------------------------


def alliance_records(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """For every table, the alliance each row belongs to (following foreign keys)."""
    from alliance_kit.records.model import TABLES

    owner: dict[str, pd.Series] = {}
    for name, table in TABLES.items():
        df = frames.get(name)
        if df is None:
            continue
        if name == "alliances":
            owner[name] = df["id"].astype(object)
            continue
        if "alliance_id" in df.columns:
            owner[name] = df["alliance_id"].astype(object)
            continue
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent in owner and fk.parent.name in df.columns:
                parent_df = frames[parent]
                pk = fk.column.name
                mapping = pd.Series(owner[parent].to_numpy(), index=parent_df[pk].to_numpy())
                mapping = mapping[~mapping.index.duplicated()]
                owner[name] = df[fk.parent.name].map(mapping)
                break
    return owner


def _row_hashes(df: pd.DataFrame) -> pd.Series:
    """A 64-bit hash per row of its values (pandas' vectorized hashing)."""
    return pd.util.hash_pandas_object(df, index=False, categorize=False)


def _combine(hashes: pd.Series, owner: pd.Series) -> pd.DataFrame:
    """Order-independent digest of each owner's rows: the count and the wrapped sums of
    the row hashes and of their squares (a changed, added or removed row moves them)."""
    h = hashes.to_numpy(dtype="uint64")
    frame = pd.DataFrame({"a": owner.to_numpy(), "h": h, "h2": h * (h | 1)})
    return frame.groupby("a", dropna=True).agg(n=("h", "size"), h=("h", "sum"), h2=("h2", "sum"))


def _score_frames(scores: Any) -> dict[str, pd.DataFrame]:
    if scores is None:
        return {}
    if is_dataclass(scores):
        items = {f.name: getattr(scores, f.name) for f in fields(scores)}
    elif isinstance(scores, Mapping):
        items = dict(scores)
    else:
        items = vars(scores)
    return {k: _hashable(v) for k, v in items.items() if isinstance(v, pd.DataFrame)}


def _hashable(df: pd.DataFrame) -> pd.DataFrame:
    """Lists and dicts in object columns as their repr, so rows can be hashed."""
    out = df.copy()
    for col in [c for c in out.columns if out[c].dtype == object]:
        if out[col].map(lambda v: isinstance(v, list | dict | tuple)).any():
            out[col] = out[col].map(repr)
    return out


def fingerprints(
    frames: Mapping[str, pd.DataFrame],
    scores: Any,
    alliance_ids: Iterable[str],
    extra: str = "",
) -> dict[str, str]:
    """A hash per alliance of its records (every table, through foreign keys) and of its
    computed scores (which can move when other alliances change the risk model), plus
    ``extra`` (notebook, version, parameters). Row order does not matter."""
    ids = list(alliance_ids)
    parts: dict[str, list[bytes]] = {a: [] for a in ids}
    owners = alliance_records(frames)
    sources: list[tuple[str, pd.DataFrame, pd.Series]] = [
        (name, frames[name], owner) for name, owner in owners.items()
    ]
    for name, df in _score_frames(scores).items():
        if "alliance_id" in df.columns:
            sources.append((f"scores.{name}", df, df["alliance_id"]))
    for name, df, owner in sources:
        if df.empty:
            continue
        digest = _combine(_row_hashes(df), owner)
        digest = digest[digest.index.isin(ids)]
        for alliance_id, n, h, h2 in digest.itertuples():
            parts[alliance_id].append(f"{name}|{n}|{h}|{h2}".encode())
    out = {}
    for alliance_id in ids:
        h = hashlib.sha256(extra.encode())
        for chunk in sorted(parts[alliance_id]):
            h.update(chunk + b";")
        out[alliance_id] = h.hexdigest()
    return out


def portfolio_fingerprint(frames: Mapping[str, pd.DataFrame], scores: Any, extra: str = "") -> str:
    h = hashlib.sha256(extra.encode())
    for name in sorted(frames):
        df = frames[name]
        if not df.empty:
            h.update(name.encode() + b"|" + _row_hashes(df).sort_values().to_numpy().tobytes())
    for name, df in sorted(_score_frames(scores).items()):
        if not df.empty:
            h.update(name.encode() + b"|" + _row_hashes(df).sort_values().to_numpy().tobytes())
    return h.hexdigest()


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def notebook_parameters(path: str | Path) -> dict[str, Any]:
    """The parameters a notebook declares (its ``parameters`` cell), via papermill."""
    import papermill as pm

    return pm.inspect_notebook(str(path))


def check_parameters(params: Mapping[str, Any], notebooks: Sequence[str | Path]) -> None:
    """Refuse, before anything runs, a parameter that no report notebook declares."""
    declared: set[str] = set()
    for nb in notebooks:
        declared |= set(notebook_parameters(nb))
    unknown = sorted(set(params) - declared)
    if unknown:
        raise ValueError(
            f"unknown report parameter(s): {', '.join(unknown)}; "
            f"the report notebooks take: {', '.join(sorted(declared))}"
        )


# --- the batch ---------------------------------------------------------------------------


@dataclass
class BatchResult:
    period: str
    folder: Path
    index: Path
    manifest: dict[str, Any]
    ran: list[str]
    skipped: list[str]
    failed: dict[str, str]
    seconds: float
    as_of: dt.date | None = None
    stopped_by: int | None = None  # the signal that stopped the run before its end
    not_built: list[str] = field(default_factory=list)  # what a stopped run left undone

    @property
    def ok(self) -> bool:
        return not self.failed and self.stopped_by is None

    def summary(self) -> str:
        built = [k for k in self.ran if k not in self.failed]
        label = periods.label(self.period, self.as_of)
        if self.stopped_by is None:
            lines = [
                f"{label}: {_reports_phrase(built)} built, {len(self.skipped)} up to date, "
                f"{len(self.failed)} failed, in {self.seconds:.1f} s",
            ]
        else:
            lines = [
                f"Stopped by {signal_name(self.stopped_by)}. {label}: "
                f"{_reports_phrase(built)} built, {len(self.skipped)} up to date, "
                f"{len(self.failed)} failed; not built: {_listed(self.not_built)} "
                "(nothing half-written is left).",
                "Run the same command again to resume: finished reports are kept and only "
                "the rest is built."
                if built or self.skipped
                else "Run the same command again to build them.",
            ]
        lines += [
            f"  FAILED {visible(key)}: {visible(err)}" for key, err in sorted(self.failed.items())
        ]
        lines.append(f"index: {self.index}")
        return "\n".join(lines)


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or a stop signal, after it had written what was finished
    (files, manifest, index): ``result`` says what, ``signum`` by which signal. A
    KeyboardInterrupt, so code that does not expect it stops as it would on Ctrl-C."""

    def __init__(self, result: BatchResult, signum: int) -> None:
        super().__init__(f"stopped by {signal_name(signum)}")
        self.result = result
        self.signum = signum


def _listed(keys_: Sequence[str], most: int = 8) -> str:
    """``A003, A004 and the portfolio report``; past ``most`` names, ``and N more``."""
    names = [
        "the portfolio report" if k == "portfolio" else visible(k)
        for k in sorted(keys_, key=lambda k: (k == "portfolio", k))
    ]
    if len(names) > most:
        names = [*names[: most - 1], f"{len(names) - most + 1} more"]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _reports_phrase(keys_: Sequence[str]) -> str:
    """``11 alliance reports and the portfolio report`` rather than ``12 report(s)``."""
    n = sum(1 for k in keys_ if k != "portfolio")
    alliances = f"{n} alliance report{'' if n == 1 else 's'}"
    return f"{alliances} and the portfolio report" if "portfolio" in keys_ else alliances


def resolve_period(period: str, today: dt.date | None = None) -> str:
    """``previous`` means the last closed quarter; anything else must be a quarter that
    has started (see :func:`alliance_kit.records.periods.resolve`)."""
    return periods.resolve(period, today)


def check_alliances(
    period: str,
    frames: Mapping[str, pd.DataFrame],
    alliance_ids: Sequence[str] | None,
    today: dt.date | None = None,
) -> None:
    """Refuse, before anything runs, a period in which no alliance runs and alliance ids
    that are unknown or not running in the period."""
    alliances = frames["alliances"]
    periods.check_running(period, alliances, today)
    if not alliance_ids:
        return
    unknown = sorted(set(alliance_ids) - set(alliances["id"]))
    if unknown:
        raise ValueError(f"no alliance with id {', '.join(unknown)} in the store")
    start, end = pd.Timestamp(periods.start(period)), pd.Timestamp(periods.end(period))
    ends = pd.to_datetime(alliances["end_date"])
    runs = (pd.to_datetime(alliances["start_date"]) <= end) & (ends.isna() | (ends >= start))
    idle = sorted(set(alliance_ids) - set(alliances.loc[runs, "id"]))
    if idle:
        raise ValueError(f"alliance(s) {', '.join(idle)} not running in {period}")


def parse_formats(formats: str | Sequence[str] | None) -> tuple[str, ...]:
    if formats is None:
        return DEFAULT_FORMATS
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    items = [f.strip().lower() for f in items if f.strip()]
    bad = sorted(set(items) - set(FORMATS))
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def output_paths(folder: Path, job: Job) -> dict[str, Path]:
    """Where a report's files go inside the period folder."""
    pages = folder if job.kind == "portfolio" else folder / "alliances"
    name = "portfolio" if job.kind == "portfolio" else job.key
    return {
        "html": safe_child(pages, f"{name}.html"),
        "pdf": safe_child(pages, f"{name}.pdf"),
        "ipynb": safe_child(folder / "notebooks", f"{name}.ipynb"),
    }


def _unwritable(folder: Path, jobs: Iterable[Job]) -> dict[str, str]:
    """Reports whose files could not be named inside the folder (an alliance id from an
    older store holding a separator, ``..`` or a NUL): each fails on its own."""
    found = {}
    for job in jobs:
        try:
            output_paths(folder, job)
        except UnsafePath as exc:
            found[job.key] = f"its alliance id cannot name a report file: {exc}"
    return found


def _needs_run(job: Job, previous: Mapping[str, Any], folder: Path, force: bool) -> bool:
    if force:
        return True
    entry = previous.get("reports", {}).get(job.key)
    if not entry or entry.get("status") != "ok" or entry.get("fingerprint") != job.fingerprint:
        return True
    paths = output_paths(folder, job)
    wanted = set(job.formats) | {"ipynb"}
    return any(not paths[f].exists() for f in wanted)


def _load_inputs(db: str | None, frames: Mapping[str, pd.DataFrame] | None):
    if frames is None:
        from alliance_kit.records.opening import open_store

        frames = open_store(db).read_all()
    return dict(frames)


def _score(frames: Mapping[str, pd.DataFrame], period: str, as_of: dt.date) -> Any:
    from alliance_kit.assess import health

    return health.score_portfolio(dict(frames), period, scoring.ScoringConfig(as_of=as_of))


def _default_ids(frames: Mapping[str, pd.DataFrame], scores: Any) -> list[str]:
    """The alliances to report on by default: those scored (running) in the period."""
    scored = _score_frames(scores).get("alliances")
    if scored is not None and "alliance_id" in scored.columns:
        return sorted(scored["alliance_id"])
    return sorted(frames["alliances"]["id"])


def plan(
    period: str,
    *,
    frames: Mapping[str, pd.DataFrame],
    scores: Any,
    folder: Path,
    alliance_ids: Sequence[str] | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    timeout: float = 600,
    params: Mapping[str, Any] | None = None,
    db: str | None = None,
    alliance_nb: str | Path | None = None,
    portfolio_nb: str | Path | None = None,
    include_portfolio: bool = True,
    as_of: dt.date | None = None,
) -> list[Job]:
    """Every report the run should produce for ``period``, with fingerprints (which cover
    the period's label, so a quarter in progress is redone when its as-of day moves)."""
    alliance_nb = str(alliance_nb or alliance_notebook())
    portfolio_nb = str(portfolio_nb or portfolio_notebook())
    params = dict(params or {})
    check_parameters(params, [alliance_nb, portfolio_nb])
    a_declared = set(notebook_parameters(alliance_nb))
    p_declared = set(notebook_parameters(portfolio_nb))
    alliances = frames["alliances"]
    names = dict(zip(alliances["id"], alliances["name"], strict=False))
    ids = list(alliance_ids) if alliance_ids else _default_ids(frames, scores)
    base = {"period": period, "db": db}
    version = f"{__version__}|{periods.label(period, as_of)}|{sorted(params.items())}"
    a_extra = f"{version}|{file_digest(alliance_nb)}"
    prints = fingerprints(frames, scores, ids, extra=a_extra)
    jobs = []
    for alliance_id in ids:
        jobs.append(
            Job(
                key=alliance_id,
                kind="alliance",
                title=f"{names.get(alliance_id, alliance_id)} - alliance report {period}",
                notebook=alliance_nb,
                parameters={
                    **{k: v for k, v in base.items() if k in a_declared},
                    **{k: v for k, v in params.items() if k in a_declared},
                    "alliance": alliance_id,
                },
                formats=tuple(formats),
                timeout=timeout,
                fingerprint=prints[alliance_id],
            )
        )
    if include_portfolio:
        p_extra = f"{version}|{file_digest(portfolio_nb)}"
        jobs.append(
            Job(
                key="portfolio",
                kind="portfolio",
                title=f"Alliance portfolio report {period}",
                notebook=portfolio_nb,
                parameters={
                    **{k: v for k, v in base.items() if k in p_declared},
                    **{k: v for k, v in params.items() if k in p_declared},
                },
                formats=tuple(formats),
                timeout=timeout,
                fingerprint=portfolio_fingerprint(frames, scores, p_extra),
            )
        )
    return jobs


# --- executors ---------------------------------------------------------------------------


Executor = Callable[[list[Job], str | bytes, Callable[[Rendered], None]], None]


def _worker_init(parent: int | None = None) -> None:
    """Process-pool worker set-up: quiet logs; kernels stop when the worker exits; the
    worker dies with ``parent`` (the alliance-kit process), even one killed by SIGKILL.

    The terminal sends Ctrl-C (and hang-up) to the whole process group: a worker ignores
    them, and the parent, which alone decides, stops it with SIGTERM (:func:`_stop_worker`).
    The worker started with these signals blocked (see :func:`run_local`), so one that came
    while it was starting up is dropped here rather than printing an import traceback."""
    from multiprocessing import util

    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    unblock_signals()
    quiet_logs()
    util.Finalize(None, shutdown_worker, exitpriority=100)


def _stop_worker(signum: int, _frame: Any) -> None:
    """SIGTERM in a pool worker: end its kernels and leave at once, writing nothing.
    Unwinding a notebook run instead would print its kernel client's errors (a ZMQError,
    a DeadKernelError, tasks never awaited); the report it was making is simply not
    returned, and its parent writes nothing of it."""
    signal.signal(signum, signal.SIG_IGN)
    for kernel in _all_kernels:
        kernel.kill()
    for folder in _private_dirs:
        shutil.rmtree(folder, ignore_errors=True)
    os._exit(128 + signum)  # no interpreter shutdown: nothing left to say or flush


#: Seconds stopped workers get to end their kernels before SIGKILL.
STOP_GRACE = 5.0


def run_local(jobs: list[Job], inputs: str | bytes, done: Callable[[Rendered], None], *, workers=2):
    """Run jobs on a pool of worker processes (not threads: papermill's cwd handling is not
    thread-safe, and kernels are per process). A worker that dies takes only its report
    with it: the pool is rebuilt once and the unfinished reports run again.

    On Ctrl-C or a stop signal (KeyboardInterrupt or :class:`~alliance_kit.delivery.processes.
    Stopped` here) the workers are stopped at once, their kernels with them, results that
    came back meanwhile are handed to ``done``, and the exception goes on: what is not
    finished is dropped whole."""
    pending = {job.key: job for job in jobs}
    for attempt in range(2):
        if not pending:
            return
        ctx = multiprocessing.get_context("spawn")
        # Made outside the block: its queues start multiprocessing's resource tracker,
        # which unblocks SIGINT and SIGTERM once started.
        pool = cf.ProcessPoolExecutor(
            max_workers=max(1, min(workers, len(pending))),
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
        futures: dict[cf.Future, Job] = {}
        try:
            with signals_blocked():  # workers start with them blocked (see _worker_init)
                for job in pending.values():
                    futures[pool.submit(render, job, inputs)] = job
            for future in cf.as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except cf.process.BrokenProcessPool as exc:
                    if attempt == 0:
                        continue  # retried in a fresh pool below
                    result = Rendered(job.key, "failed", 0.0, error=f"worker died: {exc}")
                except Exception as exc:  # noqa: BLE001
                    result = Rendered(job.key, "failed", 0.0, error=f"{type(exc).__name__}: {exc}")
                pending.pop(job.key, None)
                done(result)
        except (KeyboardInterrupt, Stopped):
            with signals_ignored():  # a second Ctrl-C cannot cut the stop short
                _stop_pool(pool)
                for future, job in futures.items():  # finished while the stop was coming
                    if job.key in pending and _finished(future):
                        pending.pop(job.key)
                        done(future.result())
            raise
        except BaseException:
            with signals_ignored():
                _stop_pool(pool)
            raise
        pool.shutdown(wait=True)


def _finished(future: cf.Future) -> bool:
    """Whether a future holds a worker's result (not cancelled, no exception)."""
    return future.done() and not future.cancelled() and future.exception() is None


def _stop_pool(pool: cf.ProcessPoolExecutor, grace: float = STOP_GRACE) -> None:
    """Stop a worker pool now: drop the queued reports and send each worker SIGTERM (it
    ends its kernel and exits without a word, see :func:`_stop_worker`); SIGKILL for one
    still running after ``grace`` s."""
    procs = list((getattr(pool, "_processes", None) or {}).values())  # no public list
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(OSError, ValueError):
            proc.terminate()
    deadline = time.monotonic() + grace
    for proc in procs:
        with contextlib.suppress(ValueError):
            proc.join(max(0.0, deadline - time.monotonic()))
    for proc in procs:
        with contextlib.suppress(OSError, ValueError):
            if proc.is_alive():
                proc.kill()
                proc.join(grace)
    pool.shutdown(wait=True)


def run_dask(
    jobs: list[Job],
    inputs: str | bytes,
    done: Callable[[Rendered], None],
    *,
    workers: int = 2,
    scheduler: str | None = None,
) -> None:
    """Run jobs on a Dask cluster: ``scheduler`` is a scheduler address, or None for a
    LocalCluster of ``workers`` single-threaded processes. The portfolio inputs travel as
    bytes (broadcast once), so workers need no shared disk; results come back as bytes."""
    from dask.distributed import Client, LocalCluster, as_completed

    payload = Path(inputs).read_bytes() if isinstance(inputs, str) else inputs
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    try:
        shared = client.scatter(payload, broadcast=True)
        futures = {
            client.submit(render, job, shared, key=f"report-{job.key}-{os.urandom(4).hex()}"): job
            for job in jobs
        }
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails only its report
                result = Rendered(job.key, "failed", 0.0, error=f"{type(exc).__name__}: {exc}")
            done(result)
        with contextlib.suppress(Exception):
            client.run(shutdown_worker)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --- writing -----------------------------------------------------------------------------


def _store_outputs(folder: Path, job: Job, result: Rendered) -> dict[str, str]:
    """Write a finished report's files atomically; a failed report writes only its
    executed notebook, next to (never over) the last good one."""
    paths = output_paths(folder, job)
    written: dict[str, str] = {}
    if result.status != "ok":
        if "ipynb" in result.outputs:
            failed = paths["ipynb"].with_suffix(".failed.ipynb")
            publish.atomic_write(failed, result.outputs["ipynb"])
            written["failed_ipynb"] = str(failed.relative_to(folder))
        return written
    for fmt in ("ipynb", *job.formats):
        if fmt in result.outputs and fmt not in written:
            publish.atomic_write(paths[fmt], result.outputs[fmt])
            written[fmt] = str(paths[fmt].relative_to(folder))
    paths["ipynb"].with_suffix(".failed.ipynb").unlink(missing_ok=True)
    return written


def _entry(job: Job, result: Rendered, files: Mapping[str, str], names: Mapping[str, str]):
    return {
        "kind": job.kind,
        "alliance_id": job.key if job.kind == "alliance" else None,
        "name": names.get(job.key, job.title),
        "status": result.status,
        "error": result.error,
        "duration_s": round(result.duration, 3),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "fingerprint": job.fingerprint,
        "figures": result.results,
        "files": dict(files),
        "worker": result.worker,
        "peak_rss_mb": round(result.peak_rss / 2**20, 1),
    }


def run(
    period: str = "previous",
    *,
    db: str | None = None,
    out: str | Path | None = None,
    alliance_ids: Sequence[str] | None = None,
    formats: str | Sequence[str] | None = None,
    workers: int = 2,
    executor: str = "local",
    scheduler: str | None = None,
    timeout: float = 600,
    force: bool = False,
    params: Mapping[str, Any] | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
    scores: Any = None,
    alliance_nb: str | Path | None = None,
    portfolio_nb: str | Path | None = None,
    progress: bool = True,
    as_of: dt.date | None = None,
) -> BatchResult:
    """Produce a period's reports under ``out/<period>/`` and return what happened.

    Refuses, before anything runs or is written, a quarter that has not started by
    ``as_of`` (default today) or in which no alliance runs. Reads the store once (or takes
    ``frames``), scores the portfolio once, plans every report, skips those already built
    from the same inputs (unless ``force``), runs the rest on the chosen executor, writes
    files atomically and the manifest after each report, then the manifest and index.

    Ctrl-C (or SIGTERM/SIGHUP made :class:`~alliance_kit.delivery.processes.Stopped`, as the CLI
    does) stops the workers and their kernels at once; what finished is kept and written
    down, the rest is left whole for the next run, and :class:`Interrupted` is raised
    with the result.
    """
    quiet_logs()
    started = time.monotonic()
    as_of = as_of or dt.date.today()
    period = resolve_period(period, as_of)
    fmts = parse_formats(formats)
    if executor not in ("local", "dask"):
        raise ValueError(f"unknown executor {executor!r}; choose local or dask")
    check_parameters(
        params or {}, [alliance_nb or alliance_notebook(), portfolio_nb or portfolio_notebook()]
    )
    frames = _load_inputs(db, frames)
    if alliance_ids:
        alliance_ids = [keys.match(a, frames["alliances"]["id"]) for a in alliance_ids]
    check_alliances(period, frames, alliance_ids, as_of)
    # Kernels run in another directory: every path handed to them is absolute.
    folder = Path(out or config.project_root() / "reports").absolute() / period
    db = config.absolute_db(db)
    folder.mkdir(parents=True, exist_ok=True)
    publish.clean_stale_temps(folder)
    _remove_old_inputs(folder)
    if scores is None:
        scores = _score(frames, period, as_of)
    jobs = plan(
        period,
        frames=frames,
        scores=scores,
        folder=folder,
        alliance_ids=alliance_ids,
        formats=fmts,
        timeout=timeout,
        params=params,
        db=db,
        alliance_nb=alliance_nb,
        portfolio_nb=portfolio_nb,
        as_of=as_of,
    )
    previous = publish.read_manifest(folder)
    unwritable = _unwritable(folder, jobs)
    todo = [
        job
        for job in jobs
        if job.key not in unwritable and _needs_run(job, previous, folder, force)
    ]
    skipped = [job.key for job in jobs if job not in todo and job.key not in unwritable]

    names = dict(zip(frames["alliances"]["id"], frames["alliances"]["name"], strict=False))
    names["portfolio"] = "Portfolio"
    manifest = {
        "period": period,
        "package_version": __version__,
        "reports": dict(previous.get("reports", {})),
        "runs": list(previous.get("runs", [])),
    }
    by_key = {job.key: job for job in jobs}
    failed: dict[str, str] = {}
    finished: list[str] = []
    bar = _progress(len(todo), progress, period)

    def done(result: Rendered) -> None:
        job = by_key[result.key]
        try:
            files = _store_outputs(folder, job, result)
        except (OSError, ValueError) as exc:  # this report's files only; the run goes on
            result.status, result.error = "failed", f"its files could not be written: {exc}"
            files = {}
        old = manifest["reports"].get(job.key, {})
        entry = _entry(job, result, files, names)
        if result.status != "ok":
            failed[job.key] = result.error or result.status
            entry["files"] = {**old.get("files", {}), **files} if old else files
        manifest["reports"][job.key] = entry
        finished.append(job.key)
        try:  # after each report: a run killed later still resumes from here
            publish.write_manifest(folder, manifest)
        except OSError as exc:  # written again at the end, where a failure is reported
            log.warning("could not update the manifest: %s", exc)
        if bar is not None:
            bar.set_postfix_str(f"{job.key} {result.status}", refresh=False)
            bar.update(1)

    for key, error in unwritable.items():
        job = by_key[key]
        failed[key] = error
        manifest["reports"][key] = _entry(job, Rendered(key, "failed", 0.0, error), {}, names)
    stopped_by: int | None = None
    try:
        if todo:
            with private_folder() as private:
                from alliance_kit.views.reporting import PortfolioInputs

                inputs = PortfolioInputs(
                    period=period, frames=dict(frames), scores=scores, as_of=as_of
                )
                inputs_path = private / "portfolio.pkl"
                write_private(inputs_path, pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL))
                del inputs
                if executor == "dask":
                    run_dask(todo, str(inputs_path), done, workers=workers, scheduler=scheduler)
                else:
                    run_local(todo, str(inputs_path), done, workers=workers)
    except KeyboardInterrupt:
        stopped_by = signal.SIGINT
    except Stopped as stop:
        stopped_by = stop.signum
    finally:
        if bar is not None:
            bar.close()

    # Stopped or not, the run is written down whole (a Ctrl-C meanwhile is ignored: it
    # takes a moment); after a stop, Interrupted then says what was done.
    with signals_ignored():
        result = _conclude(
            manifest,
            folder,
            period=period,
            ran=finished if stopped_by is not None else [job.key for job in todo],
            not_built=[job.key for job in todo if job.key not in finished],
            skipped=skipped,
            failed=failed,
            seconds=time.monotonic() - started,
            stopped_by=stopped_by,
            keep=list(by_key),
            run_info={"executor": executor, "workers": workers, "formats": list(fmts)},
            as_of=as_of,
        )
        if stopped_by is not None:
            # a stop that landed between a temp file's creation and its cleanup
            publish.clean_stale_temps(folder)
    if stopped_by is not None:
        raise Interrupted(result, stopped_by)
    return result


def _conclude(
    manifest: dict[str, Any],
    folder: Path,
    *,
    period: str,
    ran: list[str],
    not_built: list[str],
    skipped: list[str],
    failed: dict[str, str],
    seconds: float,
    stopped_by: int | None,
    keep: list[str],
    run_info: dict[str, Any],
    as_of: dt.date,
) -> BatchResult:
    """Record the run in the manifest (a stopped one says so and what it left), write the
    manifest and the index, and say what happened."""
    manifest["generated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    run_entry: dict[str, Any] = {
        "at": manifest["generated_at"],
        "ran": len(ran),
        "skipped": len(skipped),
        "failed": sorted(failed),
        "seconds": round(seconds, 2),
        **run_info,
    }
    if stopped_by is not None:
        run_entry["stopped_by"] = signal_name(stopped_by)
        run_entry["not_built"] = sorted(not_built)
    manifest["runs"].append(run_entry)
    manifest["reports"] = {k: manifest["reports"][k] for k in keep if k in manifest["reports"]}
    publish.write_manifest(folder, manifest)
    prev_manifest = publish.read_manifest(folder.parent / periods.previous(period))
    index = publish.write_index(folder, manifest, previous=prev_manifest)
    return BatchResult(
        period=period,
        folder=folder,
        index=index,
        manifest=manifest,
        ran=ran,
        skipped=skipped,
        failed=failed,
        seconds=seconds,
        as_of=as_of,
        stopped_by=stopped_by,
        not_built=not_built if stopped_by is not None else [],
    )


def _remove_old_inputs(folder: Path) -> None:
    """Remove the working inputs earlier versions kept in the report folder
    (``.inputs/portfolio.pkl``, every record in a readable file); never read them."""
    old = folder / ".inputs"
    if old.is_symlink() or not old.is_dir():
        return
    (old / "portfolio.pkl").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        old.rmdir()  # only if nothing else is in it


def _progress(total: int, enabled: bool, period: str):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=f"reports {period}", unit="report")


def as_dict(result: BatchResult) -> dict[str, Any]:
    d = asdict(result)
    d["folder"], d["index"] = str(result.folder), str(result.index)
    d["as_of"] = result.as_of.isoformat() if result.as_of else None
    return d
