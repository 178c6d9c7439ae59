"""One formatting module for every view: each view's style is a parameter, and the exact
strings each view has always shown stay the same."""

from __future__ import annotations

import pandas as pd
import pytest

from alliance_kit.views import formatting as f


@pytest.mark.parametrize(
    "value, currency, text",
    [
        (40_000_000, "USD", "USD 40.0M"),
        (1_250_000_000, "EUR", "EUR 1.2B"),
        (850_000, "EUR", "EUR 850k"),
        (900, "CHF", "CHF 900"),
        (-574_000, "USD", "USD -574k"),
        (2_500_000, "", "2.5M"),
        (2_500_000, None, "2.5M"),
        (None, "EUR", "-"),
        (float("nan"), "USD", "-"),
        (pd.NA, "USD", "-"),
    ],
)
def test_money_code_style_of_the_reports_and_register(value, currency, text):
    assert f.money(value, currency) == text


@pytest.mark.parametrize(
    "value, currency, text",
    [
        (1_234_567, "USD", "$1.23M"),
        (12_345_678, "USD", "$12.3M"),
        (123_456_789, "EUR", "€123M"),
        (850_000, "GBP", "£850K"),
        (999_999, "USD", "$1.00M"),
        (950, "USD", "$950"),
        (0, "USD", "$0"),
        (2_500_000_000, "JPY", "¥2.50B"),
        (1_500, "SEK", "SEK 1.50K"),
        (1_500, "NOK", "NOK 1.50K"),
        (-2_000_000, "USD", "-$2.00M"),
        (None, "USD", "-"),
        (float("nan"), "USD", "-"),
    ],
)
def test_money_symbol_style_of_the_dashboard(value, currency, text):
    assert f.money(value, currency, style="symbol") == text


def test_money_full_style_and_missing_text_of_forms_and_documents():
    assert f.money(1_234_567.4, "EUR", style="full") == "1,234,567 EUR"
    assert f.money(-1500, style="full") == "-1,500"
    assert f.money(None, "EUR", style="full", missing="") == ""
    assert f.money(float("nan"), "EUR", style="full", missing="n/a") == "n/a"
    assert f.money(2_500_000, "USD", missing="") == "USD 2.5M"
    with pytest.raises(ValueError, match="unknown money style"):
        f.money(1, "USD", style="fancy")


def test_pct_number_measure_day():
    assert f.pct(0.425) == "42%" and f.pct(0.425, 1) == "42.5%"
    assert f.pct(None) == "-" and f.pct(None, missing="") == ""
    assert f.number(69.6) == "70" and f.number(1234.56, 1) == "1,234.6"
    assert f.number(float("nan")) == "-"
    assert f.measure(22_420_000.0) == "22,420,000" and f.measure(14.44) == "14.4"
    assert f.measure(14.0) == "14.0"
    # the dashboard's KPI style: two decimals below 100, none for whole numbers
    assert f.measure(14.444, 2, whole_from=100, whole_if_integer=True) == "14.44"
    assert f.measure(14.0, 2, whole_from=100, whole_if_integer=True) == "14"
    assert f.measure(1234.5, 2, whole_from=100, whole_if_integer=True) == "1,234"
    assert f.day(pd.Timestamp("2026-09-30 13:00")) == "2026-09-30"
    assert f.day(None) == "-" and f.day(pd.NaT) == "-" and f.day("soon") == "soon"
    assert f.text(None) == "" and f.text(3) == "3"
    assert f.plural(1, "alliance") == "1 alliance" and f.plural(0, "alliance") == "0 alliances"


def test_signed_never_prints_minus_zero():
    assert f.signed(-3.6) == "-4" and f.signed(2) == "+2" and f.signed(None) == "-"
    # a change that rounds to zero reads the same whichever side of zero it was
    assert f.signed(-0.3) == f.signed(0.3) == f.signed(0) == f.signed(-0.0) == "+0"
    assert f.signed(-0.04, 1) == "+0.0" and f.signed(-0.06, 1) == "-0.1"
    assert f.signed(1234.4) == "+1,234"


def test_moved_is_the_difference_of_the_figures_as_shown():
    # 16.6 -> 9.5 shows as 17 -> 10: the change reads -7, not the unrounded -8
    assert f.moved(16.6, 9.4) == "-8" and f.moved(16.6, 9.6) == "-7"
    assert f.number(16.6) + " -> " + f.number(9.6) == "17 -> 10"
    assert f.moved(None, 3) == "-" and f.moved(2.04, 2.06, 1) == "+0.1"


def test_kpi_values_read_the_same_on_every_page():
    from alliance_kit.views import dashboard, reporting

    assert [f.kpi_value(v) for v in (12.0, 12.01, 18.68, 205.0, 1234.5, None)] == [
        "12", "12.0", "18.7", "205", "1,234", "-"
    ]  # fmt: skip
    cols = {c.key: c.fmt for c in reporting.KPI_COLUMNS if c.key in ("actual", "target")}
    for v in (12.01, 18.68, 205.0):
        assert cols["actual"](v) == cols["target"](v) == dashboard._measure(v) == f.kpi_value(v)
