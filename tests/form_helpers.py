"""Helpers for tests that drive widget forms like a user would."""

from __future__ import annotations

from typing import Any

from alliance_kit.views.widgets import RecordForm


def fill(form: RecordForm, **values: Any) -> None:
    """Set the form's widgets as a user typing or picking would (``field=value``)."""
    for name, value in values.items():
        form.fields[name].widget.value = value
