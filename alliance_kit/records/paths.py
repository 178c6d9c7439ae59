"""File names built from user data (alliance ids, document kinds), proven to stay inside
their folder.

Ids are checked at intake (:data:`alliance_kit.records.model.ID_PATTERN`), but a store written by
an older version, a frame given directly or a notebook parameter can still carry anything:
every path the batch and the documents build from such a value goes through
:func:`safe_child`, which refuses rather than writes elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from alliance_kit.records.model import FORBIDDEN_TEXT, visible


class UnsafePath(ValueError):
    """A file name taken from data that would leave its folder or cannot name a file."""


def safe_child(folder: str | Path, name: str) -> Path:
    """``folder / name`` when ``name`` is one plain file name that stays inside ``folder``
    (after symbolic links are followed); UnsafePath otherwise.

    Refused: empty names, ``.`` and ``..``, separators (``/``, and ``\\`` too, which
    Windows reads as one), names starting with a dot (hidden, and the atomic writer's temp
    files), control characters and NUL.
    """
    folder = Path(folder)
    if not isinstance(name, str) or not name:
        raise UnsafePath(f"an empty or missing file name ({name!r}) in {folder}")
    shown = visible(name)
    if FORBIDDEN_TEXT.search(name):
        raise UnsafePath(f"'{shown}' cannot name a file: it holds control characters")
    seps = {"/", "\\", os.sep, os.altsep} - {None}
    if any(sep in name for sep in seps) or name in (".", "..") or name.startswith("."):
        raise UnsafePath(f"'{shown}' cannot name a file in {folder}: it is not a plain name")
    child = folder / name
    base = folder.resolve()
    if not child.resolve().is_relative_to(base) or child.resolve() == base:
        raise UnsafePath(f"'{shown}' would lead out of {folder}")
    return child
