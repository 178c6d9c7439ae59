"""Numbers, money and dates as readers see them, for every view (dashboard, reports, the
register, forms and documents).

Each view keeps its own look through parameters, not through copies of these functions:

* ``money(40e6, "USD")`` -> ``USD 40.0M`` (reports, register: ``style="code"``);
  ``money(1.23e6, "USD", style="symbol")`` -> ``$1.23M`` (dashboard tiles, three significant
  digits); ``money(1234567, "EUR", style="full")`` -> ``1,234,567 EUR`` (forms, documents).
* ``missing`` is what a missing value shows: ``-`` in reports and the dashboard, an empty
  cell in forms and the register.

Money is formatted one amount at a time, always with its own currency: nothing here adds
amounts, so figures in different currencies are never summed.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd

MISSING = "-"

#: Symbols of the dashboard's ``style="symbol"``; other currencies show their code.
CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "CAD": "CA$",
    "AUD": "A$",
    "CHF": "CHF ",
    "SEK": "SEK ",
}

MoneyStyle = Literal["code", "symbol", "full"]


def is_missing(value: Any) -> bool:
    """None, NaN, NA and NaT are missing; anything pandas cannot test is not."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _short(a: float) -> str:
    """One decimal in millions and billions, whole thousands: ``40.0M``, ``850k``, ``900``."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(a) >= size:
            return f"{a / size:,.1f}{suffix}" if suffix != "k" else f"{a / size:,.0f}k"
    return f"{a:,.0f}"


def _three_digits(v: float) -> str:
    """Three significant digits from a thousand up: ``1.23M``, ``850K``, ``950`` (v >= 0)."""
    if round(v) < 1000:
        return f"{v:,.0f}"
    units = ((1e3, "K"), (1e6, "M"), (1e9, "B"))
    i = max(i for i, (limit, _) in enumerate(units) if v >= limit or i == 0)
    while True:
        limit, suffix = units[i]
        scaled = v / limit
        digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
        figure = f"{scaled:.{digits}f}"
        if float(figure) < 1000 or i == len(units) - 1:  # 999.96K is shown as 1.00M
            return f"{figure}{suffix}"
        i += 1


def money(
    amount: Any,
    currency: str | None = "",
    *,
    style: MoneyStyle = "code",
    missing: str = MISSING,
) -> str:
    """One amount in its currency.

    ``code``: ``USD 40.0M``, ``EUR 850k``, ``GBP 900`` (just ``40.0M`` without a currency);
    ``symbol``: ``$1.23M``, ``€850K``, ``-$2.00M``, ``SEK 1.50K`` (three significant digits);
    ``full``: ``1,234,567 USD`` (whole units with thousands separators).
    """
    if is_missing(amount):
        return missing
    a = float(amount)
    currency = currency or ""
    if style == "symbol":
        symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} " if currency else "")
        return f"{'-' if a < 0 else ''}{symbol}{_three_digits(abs(a))}"
    if style == "full":
        return f"{a:,.0f} {currency}".strip()
    if style == "code":
        figure = _short(a)
        return f"{currency} {figure}" if currency else figure
    raise ValueError(f"unknown money style {style!r}: code, symbol or full")


def pct(value: Any, digits: int = 0, *, missing: str = MISSING) -> str:
    """A fraction as a percentage: 0.425 -> ``42%`` (``42.5%`` with one digit)."""
    return missing if is_missing(value) else f"{float(value):.{digits}%}"


def number(value: Any, digits: int = 0, *, missing: str = MISSING) -> str:
    """A number with thousands separators: 1234.5 -> ``1,234`` (``1,234.5`` with one digit)."""
    return missing if is_missing(value) else f"{float(value):,.{digits}f}"


def measure(
    value: Any,
    digits: int = 1,
    *,
    whole_from: float = 1000,
    whole_if_integer: bool = False,
    missing: str = MISSING,
) -> str:
    """A KPI value or other measure: ``digits`` decimals for small figures, none from
    ``whole_from`` up (nor for whole numbers with ``whole_if_integer``):
    ``14.4``, ``22,420,000``."""
    if is_missing(value):
        return missing
    v = float(value)
    whole = abs(v) >= whole_from or (whole_if_integer and v == int(v))
    return number(v, 0 if whole else digits)


def kpi_value(value: Any, *, missing: str = MISSING) -> str:
    """A KPI's baseline, target or actual, the same on every page: one decimal, none for
    whole numbers or from 1,000 up (``12.0`` is ``12``, ``12.01`` is ``12.0``)."""
    return measure(value, 1, whole_if_integer=True, missing=missing)


def signed(value: Any, digits: int = 0, *, missing: str = MISSING) -> str:
    """A change with its sign: ``+2``, ``-4``; a change that rounds to zero is ``+0``
    (never ``-0``)."""
    if is_missing(value):
        return missing
    rounded = round(float(value), digits) + 0.0  # -0.0 + 0.0 is 0.0: no "-0"
    return f"{rounded:+,.{digits}f}"


def moved(before: Any, after: Any, digits: int = 0, *, missing: str = MISSING) -> str:
    """The change between two figures as they are shown (each rounded first), so that
    ``17 -> 10`` reads ``-7``, not the ``-8`` of the unrounded 16.6 and 9.5."""
    if is_missing(before) or is_missing(after):
        return missing
    return signed(round(float(after), digits) - round(float(before), digits), digits)


def day(value: Any, *, missing: str = MISSING) -> str:
    """A date as ``2026-09-30``; text that is not a date is shown as it is."""
    if is_missing(value):
        return missing
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    except (ValueError, TypeError):
        return str(value)


def text(value: Any) -> str:
    """Any value as text; empty when missing."""
    return "" if is_missing(value) else str(value)


def plural(n: int, noun: str) -> str:
    """``1 alliance``, ``2 alliances``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
