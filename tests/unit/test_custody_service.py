"""Custody events, corrections, acknowledgements, screening and list import, through the
services against a real database."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from jewelerdesk.domain.custody import Confidence, Hop
from jewelerdesk.domain.model import (
    ClaimClass,
    DocType,
    Item,
    Metal,
    MetalComponent,
    MetalLot,
    OriginType,
    Party,
    PartyKind,
    ShopIdentity,
    Stone,
    StoneType,
    SubjectKind,
)
from jewelerdesk.errors import BadDocument, Conflict, ValidationError
from jewelerdesk.services import custody, inventory, paperwork
from jewelerdesk.store import events
from jewelerdesk.store.database import open_database
from jewelerdesk.store.schema import MIGRATIONS

LISTS = Path(__file__).parent.parent / "data" / "lists"
TODAY = date(2026, 11, 24)


@pytest.fixture
def set_up(shop):
    inventory.save_shop_identity(
        shop, ShopIdentity("Harbour Lane Jewelers", "12 Harbour Lane, Portland ME", "US")
    )
    supplier = inventory.save_party(
        shop, Party("Meridian Diamond Wholesale BV", PartyKind.WHOLESALER, "BE")
    )
    mine = inventory.save_party(shop, Party("Kalahari Plains Mining", PartyKind.MINE, "BW"))
    return shop, supplier, mine


def _piece(shop, supplier: Party, sku: str = "R-1") -> Item:
    lot = inventory.receive_lot(
        shop,
        MetalLot(f"AU750-{sku}", Metal.GOLD, 750, ClaimClass.RECYCLED, received_on="2026-01-05"),
        20_000,
    )
    stone = Stone(
        StoneType.DIAMOND,
        OriginType.NATURAL,
        800,
        supplier_id=supplier.id,
        acquired_on="2026-02-10",
        warranty="sow_2018",  # type: ignore[arg-type]
        country_of_cutting="BE",
    )
    return inventory.save_item(
        shop,
        Item(
            sku=sku,
            description="18K ring, natural diamond",
            acquired_on="2026-02-12",
            stones=[stone],
            metals=[MetalComponent(lot.id, 4000, 750)],
        ),
    )


def _g9(piece_gaps) -> list[str]:
    return [g.title for g in piece_gaps.gaps if g.rule == "G9"]


# ----------------------------------------------------------------- recorded by the app


def test_receipt_and_assembly_are_recorded(set_up) -> None:
    shop, supplier, _ = set_up
    piece = _piece(shop, supplier)
    chain = custody.piece_custody(shop, "R-1")
    stone, lot = chain.components
    assert [h.event.hop for h in stone.hops] == [Hop.RECEIVED, Hop.ASSEMBLED]
    received = stone.hops[0]
    assert received.party == "Meridian Diamond Wholesale BV" and received.day == "2026-02-10"
    assert received.event.dest_owner_id == custody.shop_party(shop)
    assembled = stone.hops[1].event
    roles = {(s.role, s.kind) for s in assembled.subjects}
    assert roles == {("input", "stone"), ("input", "lot"), ("output", "item")}
    assert [s.quantity for s in assembled.subjects if s.kind == "lot"] == [4000]
    assert [h.event.hop for h in lot.hops] == [Hop.RECEIVED, Hop.ASSEMBLED]
    # Saving again without changes records nothing more.
    inventory.save_item(shop, piece)
    assert len(custody.piece_custody(shop, "R-1").components[0].hops) == 2


def test_events_are_append_only_in_the_database(set_up) -> None:
    shop, supplier, _ = set_up
    _piece(shop, supplier)
    for sql in (
        "UPDATE custody_event SET event_time = '2020-01-01T00:00:00'",
        "DELETE FROM custody_event",
        "UPDATE custody_subject SET quantity = 1",
        "DELETE FROM custody_subject",
        "DELETE FROM party_screening",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            shop.db.execute(sql)
    custody.acknowledge_gap(shop, "G3", "some-stone", "Estate stock, origin never recorded")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        shop.db.execute("UPDATE gap_ack SET reason = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        shop.db.execute("DELETE FROM gap_ack")


# ----------------------------------------------------------------- hops and corrections


def test_upstream_hops_close_the_chain(set_up) -> None:
    shop, supplier, mine = set_up
    piece = _piece(shop, supplier)
    stone_id = piece.stones[0].id
    assert "The chain does not reach the mine" in _g9(custody.gaps_for_piece(shop, "R-1", TODAY))

    custody.record_hop(
        shop, Hop.MINED, SubjectKind.STONE, stone_id, "2024-10-14", party_id=mine.id, country="BW"
    )
    titles = _g9(custody.gaps_for_piece(shop, "R-1", TODAY))
    assert titles == ["The chain of custody is broken"]  # the mine never sold it on
    # Mining in Botswana filled in the stone's blank country of mining.
    assert inventory.get_stone(shop, stone_id).country_of_mining == "BW"

    custody.record_hop(
        shop,
        Hop.TRANSFERRED,
        SubjectKind.STONE,
        stone_id,
        "2025-05-01",
        party_id=supplier.id,
        from_party_id=mine.id,
    )
    assert _g9(custody.gaps_for_piece(shop, "R-1", TODAY)) == []


def test_a_correction_replaces_the_event_and_both_stay_visible(set_up) -> None:
    shop, supplier, mine = set_up
    piece = _piece(shop, supplier)
    sid = piece.stones[0].id
    wrong = custody.record_hop(
        shop, Hop.MINED, SubjectKind.STONE, sid, "2026-03-01", party_id=mine.id, country="BW"
    )
    # Mined after the shop received it: time runs backwards.
    assert "Dates in the chain run backwards" in _g9(custody.gaps_for_piece(shop, "R-1", TODAY))
    fixed = custody.correct_hop(shop, wrong.id, day="2024-03-01")
    assert fixed.corrects_event_id == wrong.id
    assert "Dates in the chain run backwards" not in _g9(custody.gaps_for_piece(shop, "R-1", TODAY))
    hops = custody.piece_custody(shop, "R-1").components[0].hops
    by_id = {h.event.id: h for h in hops}
    assert by_id[wrong.id].corrected_by == fixed.id  # the original is still there, marked
    assert by_id[fixed.id].day == "2024-03-01"
    with pytest.raises(Conflict, match="already been corrected"):
        custody.correct_hop(shop, wrong.id, day="2024-04-01")

    custody.retract_event(shop, fixed.id, "Entered on the wrong stone")
    hops = custody.piece_custody(shop, "R-1").components[0].hops
    assert any(h.retracted for h in hops)
    assert Hop.MINED not in [
        e.hop for e in custody.effective_chain(custody.piece_custody(shop, "R-1").components[0])
    ]


def test_the_stones_country_follows_a_corrected_or_withdrawn_mining_event(set_up) -> None:
    shop, supplier, mine = set_up
    piece = _piece(shop, supplier)
    sid = piece.stones[0].id

    def country() -> str:
        return inventory.get_stone(shop, sid).country_of_mining

    def titles() -> set[str]:
        return {g.title for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps}

    mined = custody.record_hop(
        shop, Hop.MINED, SubjectKind.STONE, sid, "2024-01-10", party_id=mine.id, country="BW"
    )
    assert country() == "BW"  # a blank country takes the mining event's
    fixed = custody.correct_hop(shop, mined.id, country="RU")
    assert country() == "RU"  # the correction carries the stone's country with it
    assert "Diamond mined in Russia" in titles()  # and the Russia rule now sees it
    custody.retract_event(shop, fixed.id, "recorded by mistake")
    assert country() == ""  # no standing mining event vouches for a country any more
    assert "Diamond mined in Russia" not in titles()

    # a country the owner typed differently from the event is the owner's: left alone
    again = custody.record_hop(shop, Hop.MINED, SubjectKind.STONE, sid, "2024-01-10", country="CA")
    stone = inventory.get_stone(shop, sid)
    inventory.save_stone_fields(shop, replace(stone, country_of_mining="ZA"))
    custody.correct_hop(shop, again.id, country="NA")
    assert country() == "ZA"


def test_hop_validation(set_up) -> None:
    shop, supplier, mine = set_up
    sid = _piece(shop, supplier).stones[0].id
    with pytest.raises(ValidationError) as err:
        custody.record_hop(shop, Hop.MINED, SubjectKind.STONE, sid, "14/10/2024")
    assert "event_time" in err.value.errors
    with pytest.raises(ValidationError) as err:
        custody.record_hop(shop, Hop.MINED, SubjectKind.STONE, sid, "2024-10-14", country="XX")
    assert "location_country" in err.value.errors
    with pytest.raises(ValidationError):
        custody.record_hop(shop, Hop.RECEIVED, SubjectKind.STONE, sid, "2024-10-14")
    with pytest.raises(ValidationError):
        custody.record_hop(shop, Hop.MINED, SubjectKind.STONE, "no-such-stone", "2024-10-14")
    assert events.count_events(shop.db) == 3  # lot and stone receipts, the assembly: no more


def test_evidence_makes_a_hop_documented(set_up, tmp_path: Path) -> None:
    shop, supplier, mine = set_up
    piece = _piece(shop, supplier)
    pdf = tmp_path / "kp.pdf"
    _pdf(pdf, "Kimberley Process certificate BW 123456")
    doc = paperwork.attach(
        shop,
        SubjectKind.STONE,
        piece.stones[0].id,
        pdf,
        DocType.KP_CERTIFICATE,
        number="BW123456",
        issuer="BW",
    ).document
    e = custody.record_hop(
        shop,
        Hop.EXPORTED,
        SubjectKind.STONE,
        piece.stones[0].id,
        "2024-12-01",
        party_id=mine.id,
        country="BW",
        evidence=[doc.id],
    )
    assert e.confidence == Confidence.DOCUMENTED
    hop = next(
        h for h in custody.piece_custody(shop, "R-1").components[0].hops if h.event.id == e.id
    )
    assert [d.original_name for d in hop.evidence] == ["kp.pdf"]


def _pdf(path: Path, text: str) -> None:
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(str(path))
    c.drawString(72, 720, text)
    c.save()


# ----------------------------------------------------------------- acknowledging gaps


def test_acknowledged_gap_leaves_the_open_list_and_keeps_its_reason(set_up) -> None:
    shop, supplier, _ = set_up
    piece = _piece(shop, supplier)
    before = custody.gaps_for_piece(shop, "R-1", TODAY)
    g3 = next(g for g in before.gaps if g.rule == "G3")
    with pytest.raises(ValidationError):
        custody.acknowledge_gap(shop, "G3", g3.component_id, " ")
    custody.acknowledge_gap(shop, "G3", g3.component_id, "Supplier does not know the mine")
    after = custody.gaps_for_piece(shop, "R-1", TODAY)
    assert "G3" not in [g.rule for g in after.gaps]
    assert [(a.gap.rule, a.reason) for a in after.acknowledged] == [
        ("G3", "Supplier does not know the mine")
    ]
    shop_wide = custody.gaps_for_shop(shop, TODAY)
    assert shop_wide.acknowledged == 1 and "G3" not in shop_wide.by_rule
    custody.withdraw_acknowledgement(shop, "G3", piece.stones[0].id)
    assert "G3" in [g.rule for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps]


# ----------------------------------------------------------------- screening and lists


def test_parties_are_screened_when_saved_and_after_a_list_import(set_up) -> None:
    shop, supplier, _ = set_up
    _piece(shop, supplier)
    rules = [g.rule for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps]
    assert "G13" not in rules  # screened on save against the bundled list
    rec = events.latest_screenings(shop.db)[supplier.id]
    assert rec.list_version == "2024-05-03"

    done = custody.import_list(shop, LISTS / "sanctions_2026-11-01.json")
    assert done.info.version == "2026-11-01" and done.parties_to_rescreen == 2
    gaps = custody.gaps_for_piece(shop, "R-1", TODAY).gaps
    g13 = [g for g in gaps if g.rule == "G13"]
    assert g13 and "older list" in g13[0].title
    assert g13[0].actions[0].kind == "screen" and g13[0].actions[0].field_name == supplier.id

    custody.screen_parties(shop)
    assert "G13" not in [g.rule for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps]
    assert events.latest_screenings(shop.db)[supplier.id].list_version == "2026-11-01"


def test_a_party_on_the_newer_list_is_flagged(set_up) -> None:
    shop, _, _ = set_up
    custody.import_list(shop, LISTS / "sanctions_2026-11-01.json")
    bad = inventory.save_party(shop, Party("Golden Mountain Trading", PartyKind.SUPPLIER, "AE"))
    _piece(shop, bad, "R-2")
    g8 = [g for g in custody.gaps_for_piece(shop, "R-2", TODAY).gaps if g.rule == "G8"]
    assert g8 and "ZOLOTAYA GORA TRADING LLC" in g8[0].explanation
    assert "2026-11-01" in g8[0].explanation


def test_list_import_refuses_older_duplicate_and_malformed(set_up, tmp_path: Path) -> None:
    shop, _, _ = set_up
    with pytest.raises(Conflict, match="not newer"):
        custody.import_list(shop, LISTS / "sanctions_2023-01-15.json")
    custody.import_list(shop, LISTS / "sanctions_2026-11-01.json")
    with pytest.raises(Conflict, match="already installed"):
        custody.import_list(shop, LISTS / "sanctions_2026-11-01.json")
    cases = {
        "not json": b"name,program\nX,Y\n",
        "array": b"[1, 2]",
        "no entries": b'{"kind": "sanctions", "name": "L", "version": "2027", "date": "2027-01-01", "entries": []}',
        "bad date": b'{"kind": "sanctions", "name": "L", "version": "2027", "date": "soon", "entries": [{"name": "A"}]}',
        "nameless": b'{"kind": "sanctions", "name": "L", "version": "2027", "date": "2027-01-01", "entries": [{"program": "X"}]}',
        "unknown": b'{"kind": "weather"}',
        # dated ahead (a typo for 2025?): it would block every real list until 2099
        "from the future": b'{"kind": "sanctions", "name": "L", "version": "typo", "date": "2099-01-01", "entries": [{"name": "A"}]}',
    }
    for label, raw in cases.items():
        f = tmp_path / f"{label.replace(' ', '_')}.json"
        f.write_bytes(raw)
        with pytest.raises(BadDocument):
            custody.import_list(shop, f)
    assert [x.version for x in events.installed_lists(shop.db)] == ["2026-11-01"]
    assert custody.installed_lists(shop).sanctions.version == "2026-11-01"


# ----------------------------------------------------------------- statements feed G1


def test_confirming_a_warranty_statement_closes_g1(set_up, tmp_path: Path) -> None:
    from jewelerdesk.domain.statements import statements

    shop, supplier, _ = set_up
    piece = _piece(shop, supplier)
    stone = piece.stones[0]
    stone.warranty = "none"  # type: ignore[assignment]
    inventory.save_item(shop, piece)
    assert "G1" in [g.rule for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps]
    sow = next(s for s in statements() if s.id == "WDC_SOW_2018_GUIDELINES")
    pdf = tmp_path / "invoice.pdf"
    _pdf(pdf, "Invoice MDW-1")
    doc = paperwork.attach(shop, SubjectKind.ITEM, piece.id, pdf, DocType.INVOICE).document
    with pytest.raises(ValidationError):
        custody.confirm_statement(shop, doc.id, "MADE_UP")
    assert custody.confirm_statement(shop, doc.id, sow.id) == 1
    assert custody.confirmed_statements(shop, doc.id) == {sow.id}
    assert "G1" not in [g.rule for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps]


# ----------------------------------------------------------------- mass balance


def test_weighed_piece_out_of_balance_is_g11(set_up) -> None:
    shop, supplier, _ = set_up
    piece = _piece(shop, supplier)
    piece.weighed_metal_mg = 3700  # 4000 drawn, 7.5 % lost: fine
    inventory.save_item(shop, piece)
    assert "G11" not in [g.rule for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps]
    piece.weighed_metal_mg = 4100  # heavier than the metal drawn
    inventory.save_item(shop, piece)
    assert "G11" in [g.rule for g in custody.gaps_for_piece(shop, "R-1", TODAY).gaps]


# ----------------------------------------------------------------- migration


def test_migration_to_v2_infers_the_receipts_of_existing_goods(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = open_database(path, migrations=MIGRATIONS[:1])
    stamp = "2025-05-01T10:00:00+00:00"
    db.execute(
        "INSERT INTO party (id, kind, legal_name, country, created_at, updated_at)"
        " VALUES ('p1', 'supplier', 'Old Supplier', 'US', ?, ?)",
        [stamp, stamp],
    )
    db.execute(
        "INSERT INTO item (id, sku, description, category, status, currency, acquired_on,"
        " created_at, updated_at) VALUES ('i1', 'R-9', 'Ring', 'ring', 'in_stock', 'USD',"
        " '2025-04-01', ?, ?)",
        [stamp, stamp],
    )
    db.execute(
        "INSERT INTO stone (id, item_id, stone_type, origin_type, weight_mct, supplier_id,"
        " acquired_on, created_at, updated_at) VALUES ('s1', 'i1', 'diamond', 'natural', 500,"
        " 'p1', '2025-03-01', ?, ?)",
        [stamp, stamp],
    )
    db.close()
    db = open_database(path, backup_dir=tmp_path / "backups")
    evs = events.events_about(db, ["s1"])
    assert [(e.hop, e.confidence, e.day) for e in evs] == [
        (Hop.RECEIVED, Confidence.INFERRED, "2025-03-01"),
        (Hop.ASSEMBLED, Confidence.INFERRED, "2025-04-01"),
    ]
    assert evs[0].source_owner_id == "p1"
    assert list((tmp_path / "backups").glob("before-migration-v1-*.db"))
    db.close()
