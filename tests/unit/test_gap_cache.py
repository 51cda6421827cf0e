"""The kept custody checks must never differ from judging every piece afresh: after each kind
of change a shop owner can make, the dashboard's numbers equal a full re-check."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from reportlab.pdfgen import canvas

from jewelerdesk.domain.custody import Hop
from jewelerdesk.domain.model import DocType, OriginType, Stone, StoneType, SubjectKind
from jewelerdesk.services import custody, inventory, paperwork, sales
from jewelerdesk.services.shop import Shop
from jewelerdesk.store import gapcache

LISTS = Path(__file__).parent.parent / "data" / "lists"
TODAY = date(2026, 11, 25)


def summary(result: custody.ShopGaps) -> tuple:
    pieces = sorted(
        (
            p.item_id,
            sorted((g.rule, g.component_id, int(g.severity), g.title) for g in p.gaps),
            sorted((a.gap.rule, a.gap.component_id, a.reason) for a in p.acknowledged),
        )
        for p in result.pieces
    )
    return (
        pieces,
        result.pieces_checked,
        dict(result.by_rule),
        dict(result.by_severity),
        result.acknowledged,
    )


def same(shop: Shop, day: date = TODAY) -> custody.ShopGaps:
    kept = custody.gaps_for_shop(shop, day)
    fresh = custody.gaps_for_shop_uncached(shop, day)
    assert summary(kept) == summary(fresh)
    assert [p.item_id for p in kept.pieces] == [p.item_id for p in fresh.pieces]  # same order
    return kept


def pdf(path: Path, text: str) -> Path:
    c = canvas.Canvas(str(path))
    for i, line in enumerate(text.splitlines()):
        c.drawString(60, 760 - 14 * i, line)
    c.save()
    return path


def test_kept_checks_follow_every_kind_of_change(demo_shop: Shop, tmp_path: Path) -> None:
    shop = demo_shop
    first = same(shop)
    assert gapcache.count(shop.db) == first.pieces_checked == 30
    same(shop)  # all reused

    ring = inventory.get_item_by_sku(shop, "R-0009")  # natural diamond, no paperwork
    stone = ring.stones[0]
    ring.description += " (resized)"
    inventory.save_item(shop, ring)
    assert gapcache.count(shop.db) == 29  # only that piece dropped
    same(shop)

    ring = inventory.get_item_by_sku(shop, "R-0009")
    ring.stones.append(Stone(StoneType.DIAMOND, OriginType.NATURAL, 600, acquired_on="2026-10-01"))
    inventory.save_item(shop, ring)
    same(shop)

    s = inventory.get_stone(shop, stone.id)
    inventory.save_stone_fields(shop, replace(s, country_of_mining="BW"))
    same(shop)

    invoice = pdf(
        tmp_path / "invoice.pdf",
        "The diamonds herein invoiced are exclusively of natural origin and untreated based on\n"
        "personal knowledge and/or written guarantees provided by the supplier of these diamonds.",
    )
    done = paperwork.attach(shop, SubjectKind.STONE, stone.id, invoice, DocType.INVOICE)
    same(shop)
    assert done.statements  # the WFDB declaration, proposed to the owner
    for st in done.statements:
        custody.confirm_statement(shop, done.document.id, st.id)
    same(shop)

    mined = custody.record_hop(
        shop, Hop.MINED, SubjectKind.STONE, stone.id, "2024-01-10", country="BW"
    )
    same(shop)
    custody.correct_hop(shop, mined.id, country="ZA")
    same(shop)
    cut = custody.record_hop(shop, Hop.CUT, SubjectKind.STONE, stone.id, "2024-02-01", country="IN")
    custody.retract_event(shop, cut.id, "the wrong stone")
    same(shop)

    gaps = custody.gaps_for_piece(shop, "R-0009", TODAY).gaps
    custody.acknowledge_gap(shop, gaps[0].rule, gaps[0].component_id, "Estate piece, no papers")
    kept = same(shop)
    assert kept.acknowledged >= 1
    custody.withdraw_acknowledgement(shop, gaps[0].rule, gaps[0].component_id)
    same(shop)

    supplier = next(p for p in inventory.all_parties(shop) if p.rjc_coc_expiry)
    custody.screen_party_now(shop, supplier.id)
    same(shop)
    inventory.save_party(shop, replace(supplier, rjc_coc_expiry="2027-01-31"))
    same(shop)

    lot = next(x for x in inventory.all_lots(shop) if x.lot_no == "AU750-W-2602")
    inventory.update_lot(shop, replace(lot, country_of_origin="CD"))  # a CAHRA country
    same(shop)
    balance = inventory.lot_balance_mg(shop, lot.id)
    inventory.record_loss(shop, lot.id, balance, "stolen")  # the lot runs dry
    kept_before = gapcache.count(shop.db)
    same(shop)
    assert gapcache.count(shop.db) == kept_before  # a lot's movements drop no kept check

    custody.import_list(shop, LISTS / "sanctions_2026-11-01.json")
    assert gapcache.count(shop.db) == 0  # a new list: every piece is screened again
    same(shop)

    sales.sell(shop, sales.SaleRequest(["R-0001"]))
    same(shop)

    ident = shop.identity()
    assert ident is not None
    inventory.save_shop_identity(shop, replace(ident, name="Harbour Lane Jewellers Ltd"))
    same(shop)


def test_a_kept_check_is_redone_when_a_date_comes_due(demo_shop: Shop) -> None:
    shop = demo_shop
    supplier = next(p for p in inventory.all_parties(shop) if p.rjc_coc_expiry)
    expiry = TODAY + timedelta(days=10)
    inventory.save_party(shop, replace(supplier, rjc_coc_expiry=expiry.isoformat()))
    before = same(shop)
    same(shop, expiry)  # the last valid day: nothing lapsed yet
    after = same(shop, expiry + timedelta(days=1))  # lapsed the day after
    assert after.by_rule["G13"] > before.by_rule.get("G13", 0)


def test_a_check_judged_while_the_records_change_is_not_kept(demo_shop: Shop, monkeypatch):
    """The dashboard checks in the background while the counter keeps working: a piece
    changed meanwhile must not be kept with its old gaps."""
    from jewelerdesk.store import gapcache as store_cache

    other = Shop.open(demo_shop.paths, sweep=False)  # the window's own connection
    real = store_cache.lots_of_items

    def meanwhile(db, item_ids):
        ring = inventory.get_item_by_sku(other, "R-0009")
        ring.stones[0].country_of_mining = "RU"  # a Russian stone: a new critical gap
        inventory.save_item(other, ring)
        return real(db, item_ids)

    monkeypatch.setattr(store_cache, "lots_of_items", meanwhile)
    custody.gaps_for_shop(demo_shop, TODAY)
    monkeypatch.setattr(store_cache, "lots_of_items", real)
    assert gapcache.count(demo_shop.db) == 0  # nothing kept from the stale judgement
    same(demo_shop)  # and the next look is right
    other.close()


def test_checks_kept_under_an_older_releases_rules_are_judged_again(demo_shop: Shop) -> None:
    from jewelerdesk.domain.gaps import RULES_VERSION

    same(demo_shop)
    assert gapcache.kept_under(demo_shop.db) == RULES_VERSION
    # as an older release left them: other wording in the kept rows
    demo_shop.db.execute("UPDATE gap_cache SET gaps = replace(gaps, 'ct', 'carats')")
    demo_shop.db.execute("UPDATE settings SET value = 'older' WHERE key = ?", [gapcache.RULES_KEY])
    kept = same(demo_shop)  # equal to a fresh check: nothing of the old wording survives
    assert not any("carats" in g.component_label for p in kept.pieces for g in p.gaps)
    assert gapcache.kept_under(demo_shop.db) == RULES_VERSION
