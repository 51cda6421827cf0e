"""Trade statements and report numbers read from document text, through real invoice drift."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jewelerdesk.domain.statements import detect_numbers, detect_statements, statements

CANON = {s.id: s.canonical for s in statements()}
IDS = [
    "WDC_SOW_2002",
    "WDC_SOW_2018_GUIDELINES",
    "WFDB_NATURAL_UNTREATED",
    "US_RUSSIA_NONORIGIN_CERT",
]


def ids(text: str) -> list[str]:
    return [d.id for d in detect_statements(text)]


@pytest.mark.parametrize("sid", IDS)
def test_each_canonical_statement_is_found_alone(sid: str) -> None:
    assert ids(f"INVOICE 4471\nQty 3 Round brilliant\n{CANON[sid]}\nTotal due 12,400.00") == [sid]


def test_the_2018_and_2002_warranties_are_told_apart() -> None:
    both = ids(CANON["WDC_SOW_2018_GUIDELINES"])
    assert both == ["WDC_SOW_2018_GUIDELINES"]
    assert ids(CANON["WDC_SOW_2002"]) == ["WDC_SOW_2002"]


def test_real_invoice_drift() -> None:
    drifted = (
        "The diamonds herein invoiced have been (sourced) purchased from legit-\nimate sources not "
        "involved in funding conflict, in compliance with United Nations Resolutions and corres-\n"
        "ponding national laws (where the invoice is generated). The seller hereby guarantees that "
        "these diamonds are conflict free and confirms adherence to the WDC SoW Guidelines."
    )
    assert ids(drifted) == ["WDC_SOW_2018_GUIDELINES"]
    sourced = CANON["WDC_SOW_2002"].replace("purchased", "sourced")
    assert ids(sourced) == ["WDC_SOW_2002"]


@pytest.mark.parametrize(
    "text",
    [
        "We guarantee our diamonds are conflict free. Legitimate sources only. Thank you!",
        "Terms: goods remain our property until paid. United Nations Plaza, New York.",
        "The pearls herein invoiced are cultured and have been dyed.",
        "",
    ],
)
def test_unrelated_text_is_not_a_statement(text: str) -> None:
    assert ids(text) == []


def _noisy(text: str, seed: int, rate: float) -> str:
    rng = random.Random(seed)
    out = []
    for ch in text:
        r = rng.random()
        if ch.isalpha() and r < rate:
            out.append(rng.choice("abcdefghijklmnopqrstuvwxyz"))  # OCR swaps a letter
        elif ch == " " and r < 0.08:
            out.append("\n")  # the line wraps here
        else:
            out.append(ch)
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(IDS), st.integers(min_value=0, max_value=10**6))
def test_ocr_noise_and_wrapping_are_tolerated(sid: str, seed: int) -> None:
    noisy = _noisy(CANON[sid], seed, rate=0.04)
    assert sid in ids(f"Invoice no. 2231\n{noisy}\nThank you for your business")


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("abcdefghij klmnop diamonds conflict legitimate sources \n"),
        max_size=400,
    )
)
def test_random_text_is_never_a_statement(text: str) -> None:
    assert ids(text) == []


def test_report_and_kp_numbers() -> None:
    text = "GIA Report Number 2141438169\nIGI report LG612345678 and IGI 123456789\nKP certificate no. BW 000123456"
    found = {(d.kind, d.number) for d in detect_numbers(text)}
    assert found == {
        ("GIA", "2141438169"),
        ("IGI", "LG612345678"),
        ("IGI", "123456789"),
        ("KP", "BW000123456"),
    }
    assert detect_numbers("Phone 0123456789, invoice 2231") == []
