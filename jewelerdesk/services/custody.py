"""Custody gaps of one piece or of the whole shop: gathers the records and paperwork, and
lets the pure rules in ``domain.gaps`` judge them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from ..domain.gaps import Gap, Paperwork, Screening, Severity, piece_gaps
from ..domain.model import Item, SubjectKind
from ..domain.screening import screen_name
from ..errors import NotFound
from ..reference.lists import bundled
from ..store import records
from .shop import Shop


@dataclass(frozen=True)
class PieceGaps:
    item_id: str
    sku: str
    description: str
    gaps: list[Gap]

    @property
    def worst(self) -> Severity | None:
        return max((g.severity for g in self.gaps), default=None)


@dataclass
class ShopGaps:
    pieces: list[PieceGaps]  # pieces with at least one gap, most severe first
    pieces_checked: int
    by_rule: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)


def _paperwork(item: Item, docs: dict[tuple[str, str], list]) -> Paperwork:
    return Paperwork(
        for_piece=docs.get((str(SubjectKind.ITEM), item.id), []),
        for_stone={s.id: docs.get((str(SubjectKind.STONE), s.id), []) for s in item.stones},
        for_lot={m.lot_id: docs.get((str(SubjectKind.LOT), m.lot_id), []) for m in item.metals},
    )


def screening(shop: Shop) -> Screening:
    """The bundled lists, and every party screened against the sanctions list once."""
    lists = bundled()
    return Screening(
        lists,
        {
            p.id: (p.legal_name, screen_name(p.legal_name, lists))
            for p in records.all_parties(shop.db)
        },
    )


def gaps_for_piece(shop: Shop, sku: str, today: date | None = None) -> PieceGaps:
    item_id = records.find_item_id_by_sku(shop.db, sku)
    item = records.get_item(shop.db, item_id) if item_id else None
    if item is None:
        raise NotFound(f"No piece has the stock number '{sku}'.")
    lots = {lot.id: lot for lot in records.all_lots(shop.db)}
    docs: dict[tuple[str, str], list] = {
        (str(SubjectKind.ITEM), item.id): records.documents_for(shop.db, SubjectKind.ITEM, item.id)
    }
    for s in item.stones:
        docs[(str(SubjectKind.STONE), s.id)] = records.documents_for(
            shop.db, SubjectKind.STONE, s.id
        )
    for m in item.metals:
        docs[(str(SubjectKind.LOT), m.lot_id)] = records.documents_for(
            shop.db, SubjectKind.LOT, m.lot_id
        )
    gaps = piece_gaps(item, lots, _paperwork(item, docs), today or date.today(), screening(shop))
    return PieceGaps(item.id, item.sku, item.description, gaps)


def gaps_for_shop(shop: Shop, today: date | None = None) -> ShopGaps:
    day = today or date.today()
    lots = {lot.id: lot for lot in records.all_lots(shop.db)}
    docs = records.documents_by_subject(shop.db)
    screened = screening(shop)
    result = ShopGaps(pieces=[], pieces_checked=0)
    for item in records.iter_items_full(shop.db):
        result.pieces_checked += 1
        gaps = piece_gaps(item, lots, _paperwork(item, docs), day, screened)
        if gaps:
            result.pieces.append(PieceGaps(item.id, item.sku, item.description, gaps))
            result.by_rule.update(g.rule for g in gaps)
            result.by_severity.update(g.severity.label for g in gaps)
    result.pieces.sort(key=lambda p: (-(p.worst or 0), -len(p.gaps), p.sku))
    return result
