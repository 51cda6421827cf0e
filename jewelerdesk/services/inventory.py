"""Pieces, loose stones, metal lots and parties: create, edit, list, search.

Every save validates first (so the editor can show messages at the field), then writes in
one transaction. Metal never appears or disappears: drawing metal into a piece writes a
``draw`` movement on its lot, removing it from the piece writes a ``return``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import units
from ..domain.model import (
    Item,
    ItemRow,
    LotRow,
    MetalLot,
    MovementKind,
    Party,
    PartyKind,
    PartyRow,
    ShopIdentity,
    Stone,
    StoneRow,
    SubjectKind,
)
from ..domain.validation import (
    validate_item,
    validate_lot,
    validate_party,
    validate_shop,
    validate_stone,
)
from ..errors import Conflict, NotFound, ValidationError
from ..store import backfill, records
from ..store.records import ListQuery, MovementRow
from . import custody
from .custody import EventSubject
from .shop import Shop

__all__ = ["ListQuery", "MovementRow"]


# ----------------------------------------------------------------- shop identity


def save_shop_identity(shop: Shop, identity: ShopIdentity) -> None:
    identity.certificate_prefix = identity.certificate_prefix.strip().upper()
    identity.country = identity.country.strip().upper()
    identity.currency = identity.currency.strip().upper()
    errors = validate_shop(identity)
    if errors:
        raise ValidationError(errors)
    with shop.db.atomic():
        records.put_shop(shop.db, identity)
        backfill.ensure_shop_party(shop.db, identity)


# ----------------------------------------------------------------- pieces


def get_item(shop: Shop, item_id: str) -> Item:
    item = records.get_item(shop.db, item_id)
    if item is None:
        raise NotFound("That piece no longer exists.")
    return item


def get_item_by_sku(shop: Shop, sku: str) -> Item:
    item_id = records.find_item_id_by_sku(shop.db, sku)
    if item_id is None:
        raise NotFound(f"No piece has the stock number '{sku}'.")
    return get_item(shop, item_id)


def save_item(shop: Shop, item: Item) -> Item:
    """Create or update a piece with its stones and metal draws, all or nothing."""
    _normalise_item(item)
    errors = validate_item(item)
    if records.sku_taken(shop.db, item.sku, except_id=item.id):
        errors.setdefault("sku", f"Another piece already has the stock number '{item.sku}'.")
    if errors:
        raise ValidationError(errors, where=item.sku or None)
    with shop.db.atomic():
        before = records.get_item(shop.db, item.id)
        is_new = before is None
        records.write_item_row(shop.db, item, is_new=is_new)
        _apply_metal_draws(shop, item)
        records.reindex_item(shop.db, item.id)
        _record_custody(shop, item, before)
    return get_item(shop, item.id)


def _record_custody(shop: Shop, item: Item, before: Item | None) -> None:
    """The custody events a save implies: a bought-in piece is received; a bench-made piece
    receives its stones from their suppliers and is assembled from them and its metal. Stones
    and metal added later are received and set in a further assembly event."""
    if item.supplier_id and before is None:
        custody.record_receipt(
            shop,
            [EventSubject("subject", "item", item.id, 1, "ea")],
            item.supplier_id,
            item.acquired_on,
        )
        return
    if item.supplier_id:
        return
    old_stones = {s.id for s in before.stones} if before else set()
    old_metals = {(m.lot_id, m.mass_mg) for m in before.metals} if before else set()
    new_stones = [s for s in item.stones if s.id not in old_stones]
    new_metals = [m for m in item.metals if (m.lot_id, m.mass_mg) not in old_metals]
    if not new_stones and not new_metals:
        return
    groups: dict[tuple[str | None, str], list[EventSubject]] = {}
    inputs: list[EventSubject] = []
    latest = item.acquired_on
    for s in new_stones:
        mct = s.weight_mct if s.weight_is_total else s.weight_mct * s.count
        if records.events_exist_for(shop.db, s.id):
            pass  # a loose stone the shop already received, now set into the piece
        else:
            day = s.acquired_on or item.acquired_on
            groups.setdefault((s.supplier_id, day), []).append(
                EventSubject("subject", "stone", s.id, mct, "mct")
            )
            latest = max(latest, day)
        inputs.append(EventSubject("input", "stone", s.id, mct, "mct"))
    for (supplier, day), subjects in groups.items():
        custody.record_receipt(shop, subjects, supplier, day)
    inputs += [EventSubject("input", "lot", m.lot_id, m.mass_mg, "mg") for m in new_metals]
    custody.record_assembly(shop, item, inputs, latest if before is None else "", item.maker_id)


def _normalise_item(item: Item) -> None:
    item.sku = item.sku.strip()
    item.currency = item.currency.strip().upper()
    for s in item.stones:
        _normalise_stone(s)
        s.item_id = item.id
        s.stock_no = s.stock_no.strip()
    for m in item.metals:
        m.item_id = item.id


def _normalise_stone(s: Stone) -> None:
    s.country_of_mining = s.country_of_mining.strip().upper()
    s.country_of_cutting = s.country_of_cutting.strip().upper()
    s.region_of_mining = s.region_of_mining.strip().upper()
    s.report_no = s.report_no.strip().upper().replace(" ", "")
    s.report_lab = s.report_lab.strip()
    s.kp_cert_no = s.kp_cert_no.strip().upper()


def _apply_metal_draws(shop: Shop, item: Item) -> None:
    """Turn the piece's metal list into lot movements; refuse overdraws with the balance."""
    db = shop.db
    before = records.existing_metal_components(db, item.id)
    wanted = {m.id: m for m in item.metals}
    for cid, old in before.items():
        new = wanted.get(cid)
        if (
            new is None
            or new.lot_id != old.lot_id
            or new.mass_mg != old.mass_mg
            or new.fineness_ppt != old.fineness_ppt
        ):
            records.add_movement(
                db,
                old.lot_id,
                MovementKind.RETURN,
                old.mass_mg,
                item_id=item.id,
                component_id=cid,
                note=f"returned from {item.sku}",
            )
            records.delete_metal_component(db, cid)
    for pos, mc in enumerate(item.metals):
        prior = before.get(mc.id)
        if (
            prior is not None
            and prior.lot_id == mc.lot_id
            and prior.mass_mg == mc.mass_mg
            and prior.fineness_ppt == mc.fineness_ppt
        ):
            records.update_metal_component_position(db, mc, pos)
            continue
        lot = records.get_lot(db, mc.lot_id)
        if lot is None:
            raise ValidationError(
                {f"metals[{pos + 1}].lot_id": f"Metal {pos + 1}: the chosen lot no longer exists."}
            )
        if mc.fineness_ppt != lot.fineness_ppt:
            raise ValidationError(
                {
                    f"metals[{pos + 1}].fineness_ppt": (
                        f"Metal {pos + 1}: lot {lot.lot_no} is {lot.fineness_ppt}/1000 fine; "
                        f"a draw from it cannot be {mc.fineness_ppt}/1000."
                    )
                }
            )
        balance = records.lot_balance_mg(db, lot.id)
        if mc.mass_mg > balance:
            raise Conflict(
                f"Lot {lot.lot_no} has only {units.format_mg(max(balance, 0))} left; "
                f"{units.format_mg(mc.mass_mg)} cannot be drawn from it.",
                field=f"metals[{pos + 1}].mass_mg",
            )
        records.insert_metal_component(db, mc, pos)
        records.add_movement(
            db,
            lot.id,
            MovementKind.DRAW,
            mc.mass_mg,
            item_id=item.id,
            component_id=mc.id,
            note=f"drawn into {item.sku}",
        )


def list_items(shop: Shop, q: ListQuery, offset: int = 0, limit: int = 200) -> list[ItemRow]:
    return records.list_items(shop.db, q, offset, limit)


def count_items(shop: Shop, q: ListQuery) -> int:
    return records.count_items(shop.db, q)


# ----------------------------------------------------------------- loose stones


def save_loose_stone(shop: Shop, stone: Stone) -> Stone:
    _normalise_stone(stone)
    stone.item_id = None
    stone.stock_no = stone.stock_no.strip()
    errors = validate_stone(stone)
    if stone.stock_no and records.stock_no_taken(shop.db, stone.stock_no, except_id=stone.id):
        errors.setdefault(
            "stock_no", f"Another stone already has the stock number '{stone.stock_no}'."
        )
    if errors:
        raise ValidationError(errors, where=stone.stock_no or None)
    with shop.db.atomic():
        is_new = records.get_stone(shop.db, stone.id) is None
        records.save_loose_stone(shop.db, stone)
        if is_new:
            mct = stone.weight_mct if stone.weight_is_total else stone.weight_mct * stone.count
            custody.record_receipt(
                shop,
                [EventSubject("subject", "stone", stone.id, mct, "mct")],
                stone.supplier_id,
                stone.acquired_on,
            )
    return get_stone(shop, stone.id)


def recorded_report_nos(shop: Shop, report_nos: list[str]) -> set[str]:
    """Which of these report numbers are recorded on a stone already."""
    return records.recorded_report_nos(
        shop.db, [n.strip().upper().replace(" ", "") for n in report_nos if n.strip()]
    )


def receive_loose_stones(shop: Shop, stones: list[Stone]) -> list[str]:
    """New loose stones from a supplier's sheet, written together (one transaction, bulk
    inserts): the same checks and records as :func:`save_loose_stone` for each. A problem
    raises a ValidationError whose ``where`` names the stone, and nothing is written."""
    seen: set[str] = set()
    for index, stone in enumerate(stones):
        _normalise_stone(stone)
        stone.item_id = None
        stone.stock_no = stone.stock_no.strip()
        errors = validate_stone(stone)
        key = stone.stock_no.casefold()
        if key and key in seen:
            errors.setdefault("stock_no", f"The stock number '{stone.stock_no}' appears twice.")
        seen.add(key)
        if errors:
            exc = ValidationError(errors, where=stone.stock_no or None)
            exc.index = index  # type: ignore[attr-defined]  # which of ``stones``
            raise exc
    with shop.db.atomic():
        taken = records.taken_stock_nos(shop.db, [s.stock_no for s in stones])
        for index, stone in enumerate(stones):
            if stone.stock_no and stone.stock_no.casefold() in taken:
                exc = ValidationError(
                    {"stock_no": f"Another stone already has the stock number '{stone.stock_no}'."},
                    where=stone.stock_no,
                )
                exc.index = index  # type: ignore[attr-defined]
                raise exc
        records.insert_loose_stones(shop.db, stones)
        custody.record_receipts(
            shop,
            [
                (
                    [
                        EventSubject(
                            "subject",
                            "stone",
                            s.id,
                            s.weight_mct if s.weight_is_total else s.weight_mct * s.count,
                            "mct",
                        )
                    ],
                    s.supplier_id,
                    s.acquired_on,
                )
                for s in stones
            ],
        )
    return [s.id for s in stones]


def save_stone_fields(shop: Shop, stone: Stone) -> Stone:
    """Save a stone's own fields, whether it is loose or set in a piece."""
    if stone.item_id is None:
        return save_loose_stone(shop, stone)
    item = get_item(shop, stone.item_id)
    item.stones = [stone if s.id == stone.id else s for s in item.stones]
    save_item(shop, item)
    return get_stone(shop, stone.id)


def get_stone(shop: Shop, stone_id: str) -> Stone:
    stone = records.get_stone(shop.db, stone_id)
    if stone is None:
        raise NotFound("That stone no longer exists.")
    return stone


def list_loose_stones(
    shop: Shop, q: ListQuery, offset: int = 0, limit: int = 200
) -> list[StoneRow]:
    return records.list_loose_stones(shop.db, q, offset, limit)


def count_loose_stones(shop: Shop, q: ListQuery) -> int:
    return records.count_loose_stones(shop.db, q)


def stones_with_report(shop: Shop, report_no: str) -> list[Stone]:
    return records.stones_with_report(shop.db, report_no.strip().upper())


# ----------------------------------------------------------------- metal lots


def receive_lot(shop: Shop, lot: MetalLot, mass_mg: int) -> MetalLot:
    """Record a lot received from a supplier with its opening mass."""
    lot.lot_no = lot.lot_no.strip()
    lot.refiner_cid = lot.refiner_cid.strip().upper()
    lot.country_of_origin = lot.country_of_origin.strip().upper()
    errors = validate_lot(lot)
    if mass_mg <= 0:
        errors["mass_mg"] = "The mass received must be greater than zero."
    if lot.lot_no and records.lot_no_taken(shop.db, lot.lot_no, except_id=lot.id):
        errors.setdefault("lot_no", f"Another lot already has the number '{lot.lot_no}'.")
    if errors:
        raise ValidationError(errors, where=lot.lot_no or None)
    with shop.db.atomic():
        records.insert_lot(shop.db, lot)
        records.add_movement(
            shop.db,
            lot.id,
            MovementKind.RECEIPT,
            mass_mg,
            note="received",
            occurred_at=lot.received_on or None,
        )
        custody.record_receipt(
            shop,
            [EventSubject("subject", "lot", lot.id, mass_mg, "mg")],
            lot.supplier_id,
            lot.received_on,
        )
    return get_lot(shop, lot.id)


def update_lot(shop: Shop, lot: MetalLot) -> MetalLot:
    current = get_lot(shop, lot.id)
    if (lot.metal, lot.fineness_ppt) != (current.metal, current.fineness_ppt):
        raise Conflict(
            "A lot's metal and fineness cannot change once received; receive a new lot instead."
        )
    lot.refiner_cid = lot.refiner_cid.strip().upper()
    lot.country_of_origin = lot.country_of_origin.strip().upper()
    errors = validate_lot(lot)
    if records.lot_no_taken(shop.db, lot.lot_no, except_id=lot.id):
        errors.setdefault("lot_no", f"Another lot already has the number '{lot.lot_no}'.")
    if errors:
        raise ValidationError(errors, where=lot.lot_no)
    with shop.db.atomic():
        records.update_lot_details(shop.db, lot)
    return get_lot(shop, lot.id)


def record_loss(shop: Shop, lot_id: str, mass_mg: int, note: str) -> None:
    """Casting or polishing loss taken out of a lot."""
    lot = get_lot(shop, lot_id)
    with shop.db.atomic():
        balance = records.lot_balance_mg(shop.db, lot_id)
        if mass_mg <= 0:
            raise ValidationError({"mass_mg": "The loss must be greater than zero."})
        if mass_mg > balance:
            raise Conflict(f"Lot {lot.lot_no} has only {units.format_mg(balance)} left.")
        records.add_movement(shop.db, lot_id, MovementKind.LOSS, mass_mg, note=note)


def get_lot(shop: Shop, lot_id: str) -> MetalLot:
    lot = records.get_lot(shop.db, lot_id)
    if lot is None:
        raise NotFound("That metal lot no longer exists.")
    return lot


def all_lots(shop: Shop) -> list[MetalLot]:
    return records.all_lots(shop.db)


def lot_balance_mg(shop: Shop, lot_id: str) -> int:
    return records.lot_balance_mg(shop.db, lot_id)


def lot_movements(shop: Shop, lot_id: str) -> list[MovementRow]:
    return records.lot_movements(shop.db, lot_id)


def list_lots(shop: Shop, q: ListQuery, offset: int = 0, limit: int = 200) -> list[LotRow]:
    return records.list_lots(shop.db, q, offset, limit)


def count_lots(shop: Shop, q: ListQuery) -> int:
    return records.count_lots(shop.db, q)


# ----------------------------------------------------------------- parties


def save_party(shop: Shop, party: Party) -> Party:
    party.legal_name = party.legal_name.strip()
    party.country = party.country.strip().upper()
    party.rmi_cid = party.rmi_cid.strip().upper()
    errors = validate_party(party)
    if errors:
        raise ValidationError(errors, where=party.legal_name or None)
    with shop.db.atomic():
        old = records.get_party(shop.db, party.id)
        records.save_party(shop.db, party)
    if party.kind != PartyKind.SHOP and (old is None or old.legal_name != party.legal_name):
        custody.screen_parties(shop, [party.id])
    return get_party(shop, party.id)


def get_party(shop: Shop, party_id: str) -> Party:
    party = records.get_party(shop.db, party_id)
    if party is None:
        raise NotFound("That party no longer exists.")
    return party


def find_party(shop: Shop, name: str) -> Party | None:
    return records.find_party_by_name(shop.db, name)


def all_parties(shop: Shop, kinds: list[PartyKind] | None = None) -> list[Party]:
    return records.all_parties(shop.db, kinds)


def list_parties(shop: Shop, q: ListQuery, offset: int = 0, limit: int = 200) -> list[PartyRow]:
    return records.list_parties(shop.db, q, offset, limit)


def count_parties(shop: Shop, q: ListQuery) -> int:
    return records.count_parties(shop.db, q)


def find_subject(shop: Shop, code: str) -> tuple[SubjectKind, str, str]:
    """What a stock number names: a piece, a loose stone or a metal lot (in that order)."""
    item_id = records.find_item_id_by_sku(shop.db, code)
    if item_id:
        return SubjectKind.ITEM, item_id, f"piece {code}"
    stone = records.find_stone_by_stock_no(shop.db, code)
    if stone:
        return SubjectKind.STONE, stone.id, f"loose stone {stone.stock_no}"
    lot = records.find_lot_by_no(shop.db, code)
    if lot:
        return SubjectKind.LOT, lot.id, f"metal lot {lot.lot_no}"
    raise NotFound(f"No piece, loose stone or metal lot has the number '{code}'.")


# ----------------------------------------------------------------- overview


@dataclass(frozen=True)
class ShopCounts:
    pieces: int
    loose_stones: int
    lots: int
    parties: int
    documents: int


def shop_counts(shop: Shop) -> ShopCounts:
    db = shop.db
    return ShopCounts(
        pieces=records.count_by(db, "item"),
        loose_stones=records.count_loose(db),
        lots=records.count_by(db, "metal_lot"),
        parties=records.count_by(db, "party"),
        documents=records.count_by(db, "document"),
    )
