"""Rules G9–G11 and G13 as pure functions: positive, negative and boundary cases."""

from __future__ import annotations

from datetime import date

from jewelerdesk.domain.custody import (
    Confidence,
    CustodyEvent,
    EventSubject,
    Hop,
    LotTotals,
    chain_findings,
    document_findings,
    effective_events,
    kp_number_problem,
    lot_balance_finding,
    piece_mass_finding,
    screening_findings,
    superseded_by,
)
from jewelerdesk.domain.model import (
    ClaimClass,
    DocType,
    Document,
    Metal,
    MetalLot,
    Party,
    PartyKind,
)

TODAY = date(2026, 11, 24)
MINE = Party("Kalahari Plains Mining", PartyKind.MINE, "BW", id="mine")
CUTTER = Party("Antwerp Facet Works", PartyKind.CUTTER, "BE", id="cutter")
SUPPLIER = Party("Meridian Diamond Wholesale", PartyKind.WHOLESALER, "BE", id="supplier")
PARTIES = {p.id: p for p in (MINE, CUTTER, SUPPLIER)}


def ev(hop: Hop, day: str, n: int = 0, **kw) -> CustodyEvent:
    return CustodyEvent(
        hop,
        f"{day}T00:00:00",
        Confidence.OWNER_ASSERTED,
        [EventSubject("subject", "stone", "s1")],
        recorded_at=f"2026-01-01T00:00:{n:02d}",
        **kw,
    )


def titles(found) -> list[str]:
    return [f.title for f in found]


def test_g9_broken_hand_over_and_its_repair() -> None:
    mined = ev(Hop.MINED, "2024-10-14", dest_owner_id="mine")
    received = ev(Hop.RECEIVED, "2026-02-10", source_owner_id="supplier", dest_owner_id="shop")
    found = chain_findings([mined, received], PARTIES, TODAY, True, "mine")
    assert titles(found) == ["The chain of custody is broken"]
    assert "Meridian" in found[0].explanation and "Kalahari" in found[0].explanation
    sold = ev(Hop.TRANSFERRED, "2025-03-01", source_owner_id="mine", dest_owner_id="supplier")
    assert chain_findings([mined, sold, received], PARTIES, TODAY, True, "mine") == []


def test_g9_time_order() -> None:
    received = ev(Hop.RECEIVED, "2026-02-10", source_owner_id="supplier")
    late_mine = ev(Hop.MINED, "2026-02-11", dest_owner_id=None)
    chain = sorted([received, late_mine], key=lambda e: (e.event_time, e.info.stage))
    assert "Dates in the chain run backwards" in titles(
        chain_findings(chain, PARTIES, TODAY, False, "mine")
    )
    same_day = ev(Hop.MINED, "2026-02-10")
    chain = sorted([received, same_day], key=lambda e: (e.event_time, e.info.stage))
    assert chain_findings(chain, PARTIES, TODAY, False, "mine") == []
    tomorrow = ev(Hop.CUT, "2026-11-25")
    assert titles(chain_findings([tomorrow], PARTIES, TODAY, False, "mine")) == [
        "An event is dated in the future"
    ]
    assert chain_findings([ev(Hop.CUT, "2026-11-24")], PARTIES, TODAY, False, "mine") == []


def test_g9_origin() -> None:
    received = ev(Hop.RECEIVED, "2026-02-10", source_owner_id="supplier")
    found = chain_findings([received], PARTIES, TODAY, True, "grower")
    assert titles(found) == ["The chain does not reach the grower"] and found[0].severity == 1
    assert "Meridian" in found[0].explanation
    assert chain_findings([received], PARTIES, TODAY, False, "grower") == []
    assert titles(chain_findings([], PARTIES, TODAY, True, "mine")) == [
        "The chain does not reach the mine"
    ]
    grandfathered = ev(Hop.GRANDFATHERED, "2023-12-01", dest_owner_id="supplier")
    assert chain_findings([grandfathered, received], PARTIES, TODAY, True, "mine") == []


def _doc(expiry: str, doc_type: DocType = DocType.KP_CERTIFICATE, number: str = "") -> Document:
    return Document(
        "a" * 64,
        doc_type,
        "application/pdf",
        10,
        "kp.pdf",
        id="d1",
        expiry_date=expiry,
        number=number,
    )


def test_g10_expired_evidence_boundary() -> None:
    doc = _doc("2026-01-31")
    on_time = ev(Hop.EXPORTED, "2026-01-31", evidence=["d1"])
    late = ev(Hop.EXPORTED, "2026-02-01", evidence=["d1"])
    assert document_findings([on_time], [], {"d1": doc}, "", None) == []
    found = document_findings([late], [], {"d1": doc}, "", None)
    assert titles(found) == ["A document had expired when it was relied on"]
    # A component's own paper is judged at the shop's receipt.
    receipt = ev(Hop.RECEIVED, "2026-02-01")
    assert document_findings([receipt], [doc], {}, "", None)


def test_g10_kp_numbers() -> None:
    iso = frozenset({"BW", "CA", "ZA"})
    assert kp_number_problem("BW123456", "", iso) is None
    assert kp_number_problem("12345", "", iso)
    assert kp_number_problem("XX1234", "", iso)
    assert "issued by CA" in (kp_number_problem("BW123456", "CA", iso) or "")
    assert kp_number_problem("BW123456", "Botswana KP office", iso) is None
    found = document_findings([], [], {}, "XX99", iso)
    assert titles(found) == ["Kimberley Process certificate number looks wrong"]


def _lot(claim: ClaimClass = ClaimClass.MINED_CERTIFIED) -> MetalLot:
    return MetalLot("AU-1", Metal.GOLD, 750, claim)


def test_g11_lot_balance_tolerance() -> None:
    assert lot_balance_finding(_lot(), LotTotals(100_000, 100_100)) is None  # 0.1 %: allowed
    over = lot_balance_finding(_lot(), LotTotals(100_000, 100_101))
    assert over is not None and over.severity == 2
    assert lot_balance_finding(_lot(), LotTotals(5_000, 5_010)) is None  # 10 mg floor
    assert lot_balance_finding(_lot(), LotTotals(5_000, 5_011)) is not None
    recycled = lot_balance_finding(_lot(ClaimClass.RECYCLED), LotTotals(5_000, 6_000))
    assert recycled is not None and recycled.severity == 3
    assert "recycled" in recycled.explanation


def test_g11_weighed_piece() -> None:
    assert piece_mass_finding(10_020, 10_000) is None
    assert piece_mass_finding(10_021, 10_000) is not None
    assert piece_mass_finding(9_180, 10_000) is None  # 8 % casting loss and 20 mg
    low = piece_mass_finding(9_179, 10_000)
    assert low is not None and "less than the metal drawn" in low.explanation
    assert piece_mass_finding(0, 10_000) is None


def test_g13_screening_and_rjc() -> None:
    never = screening_findings(SUPPLIER, None, "2026-11-01", TODAY)
    assert "never been screened" in never[0].title
    assert screening_findings(SUPPLIER, "2026-11-01", "2026-11-01", TODAY) == []
    old = screening_findings(SUPPLIER, "2024-05-03", "2026-11-01", TODAY)
    assert "older list" in old[0].title and "2024-05-03" in old[0].explanation
    certified = Party("Facet", PartyKind.CUTTER, "BE", id="c", rjc_coc_expiry="2026-06-30")
    assert screening_findings(certified, "v", "v", date(2026, 6, 30)) == []
    lapsed = screening_findings(certified, "v", "v", date(2026, 7, 1))
    assert titles(lapsed) == ["Facet's RJC certification has lapsed"]


def test_corrections_and_withdrawals() -> None:
    original = ev(Hop.MINED, "2026-03-01", 1)
    fix = ev(Hop.MINED, "2024-03-01", 2, corrects_event_id=original.id)
    assert [e.id for e in effective_events([original, fix])] == [fix.id]
    assert superseded_by([original, fix]) == {original.id: fix}
    withdrawn = ev(Hop.MINED, "2024-03-01", 3, corrects_event_id=fix.id, retracts=True)
    assert effective_events([original, fix, withdrawn]) == []


def test_an_assembly_belongs_to_its_own_piece() -> None:
    made = CustodyEvent(
        Hop.ASSEMBLED,
        "2026-02-10T00:00:00",
        Confidence.OWNER_ASSERTED,
        [
            EventSubject("input", "lot", "l1", 4000, "mg"),
            EventSubject("output", "item", "X", 1, "ea"),
        ],
    )
    assert made.belongs_to_piece("X") and not made.belongs_to_piece("Y")
    assert ev(Hop.RECEIVED, "2026-01-05").belongs_to_piece("Y")
