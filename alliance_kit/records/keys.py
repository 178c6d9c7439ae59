"""Record keys as users type them: ``a008`` means ``A008``, and an unknown key gets the
near matches, not a bare "not found".

Keys are compared after Unicode compatibility folding (NFKC: a full-width ``Ａ`` is ``A``)
and case folding, the same equivalence under which two stored keys count as duplicates.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable


def fold(key: object) -> str:
    """The form under which two keys are the same key."""
    return unicodedata.normalize("NFKC", str(key)).strip().casefold()


def match(typed: str, known: Iterable[str], *, what: str = "alliance") -> str:
    """The stored key ``typed`` means; ValueError names the unknown key and its near
    matches (or a few of the keys there are)."""
    known = [str(k) for k in known]
    if typed in known:
        return typed
    by_fold = {fold(k): k for k in known}
    found = by_fold.get(fold(typed))
    if found is not None:
        return found
    near = difflib.get_close_matches(fold(typed), list(by_fold), n=3, cutoff=0.5)
    if near:
        hint = "did you mean " + " or ".join(by_fold[n] for n in near) + "?"
    elif known:
        shown = sorted(known)
        hint = "the store has " + ", ".join(shown[:5]) + (" ..." if len(shown) > 5 else "")
    else:
        hint = "the store has none"
    return _unknown(typed, what, hint)


def _unknown(typed: str, what: str, hint: str) -> str:
    raise ValueError(f"unknown {what} {typed!r}: {hint}")
