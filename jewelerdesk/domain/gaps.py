"""Custody-gap rules (DESIGN §3) as pure functions over the shop's records.

Each rule looks at one component (a stone, a metal lot or draw, or the piece's own wording)
and says what is missing, why it matters in a shop owner's words, which rule or law it comes
from, and what would close it. No database, no Qt: the service gathers the records and the
paperwork, these functions judge them.

The rules over custody events, mass balance and screening records (G9–G11, G13) live in
``domain.custody`` and are turned into gaps here, with the same shape as the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import NamedTuple

from ..reference.lists import RiskLists
from .custody import (
    ChainFinding,
    CustodyEvent,
    LotTotals,
    chain_findings,
    document_findings,
    lot_balance_finding,
    piece_mass_finding,
    screening_findings,
)
from .ftc import FORBIDDEN_RE
from .model import (
    REFINED_METALS,
    ClaimClass,
    DocType,
    Document,
    Item,
    MetalLot,
    OriginType,
    Party,
    Stone,
    StoneType,
    WarrantyStatement,
)
from .screening import NameHit, screen_origin
from .validation import report_number_problem


class Severity(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


@dataclass(frozen=True)
class Action:
    """One thing the user can do to close a gap."""

    kind: str  # "attach", "field", "hop", "screen", "party" or "acknowledge"
    label: str
    doc_type: DocType | None = None
    field_name: str = ""  # the field to fill ("field"), or the party id ("screen", "party")


class Gap(NamedTuple):
    """One open gap. A named tuple: a shop-wide check builds hundreds of thousands."""

    rule: str
    severity: Severity
    component: str  # "stone", "lot" or "piece"
    component_id: str
    component_label: str
    title: str
    explanation: str
    basis: str
    actions: tuple[Action, ...] = ()


@dataclass
class Paperwork:
    """The documents that bear on one piece: its own, its stones', and its lots'."""

    for_piece: list[Document] = field(default_factory=list)
    for_stone: dict[str, list[Document]] = field(default_factory=dict)
    for_lot: dict[str, list[Document]] = field(default_factory=dict)

    def of_stone(self, stone: Stone) -> list[Document]:
        return [*self.for_stone.get(stone.id, []), *self.for_piece]


ACKNOWLEDGE = Action(
    "acknowledge", "Record it as unknown, with a reason (printed on the certificate)"
)

# --- thresholds and dates, each with its source --------------------------------------

#: The upgraded WDC System of Warranties launched in September 2021; the old (2002) warranty
#: text may be accepted for 5 years for polished goods (3 for rough): worlddiamondcouncil.org.
SOW_2002_GRACE_END = date(2026, 9, 1)

#: Russian-diamond bans on third-country-processed stones (OFAC EO 14068 determinations, EU
#: Reg. 833/2014 Art. 3p, UK): stones of 1.0 ct and more from 1 March 2024, 0.5 ct and more
#: from 1 September 2024. A stone acquired between those dates is caught only from 1.0 ct.
RUSSIA_PHASE1_START = date(2024, 3, 1)
RUSSIA_PHASE2_START = date(2024, 9, 1)
RUSSIA_THRESHOLD_PHASE1_MCT = 1000
RUSSIA_THRESHOLD_MCT = 500

#: Paper that documents where a diamond was mined.
ORIGIN_EVIDENCE = frozenset(
    {
        DocType.ORIGIN_REPORT,
        DocType.KP_CERTIFICATE,
        DocType.G7_CERTIFICATE,
        DocType.SELF_DECLARATION_RUSSIA,
        DocType.CUSTOMS_ENTRY,
    }
)

_LAB_WORDS = re.compile(
    r"\b(laboratory[- ]grown|lab[- ]grown|laboratory[- ]created|lab[- ]created|synthetic|man[- ]made|cvd|hpht[- ]grown)\b",
    re.I,
)
_TREATMENT_WORDS = re.compile(
    r"\b(hpht[- ]treated|irradiated|fracture[- ]filled|clarity[- ]enhanced|laser[- ]drilled|"
    r"heat[- ]treated|heated|dyed|oiled|resin|coated|glass[- ]filled|diffusion)\b",
    re.I,
)
_QUALIFIERS = re.compile(
    r"(laboratory[- ]grown|lab[- ]grown|laboratory[- ]created|lab[- ]created|synthetic|imitation|"
    r"simulated|simulant|man[- ]made|cultured)\s+(\w+\s+)?$",
    re.I,
)


def acquired(stone: Stone, today: date) -> date:
    try:
        return date.fromisoformat(stone.acquired_on) if stone.acquired_on else today
    except ValueError:
        return today


def per_stone_mct(stone: Stone) -> int:
    return (
        stone.weight_mct // stone.count
        if stone.weight_is_total and stone.count
        else stone.weight_mct
    )


def russia_threshold_mct(on: date) -> int:
    """The size from which a natural diamond acquired on ``on`` falls under the Russian ban."""
    if RUSSIA_PHASE1_START <= on < RUSSIA_PHASE2_START:
        return RUSSIA_THRESHOLD_PHASE1_MCT
    return RUSSIA_THRESHOLD_MCT


def stone_label(stone: Stone, index: int) -> str:
    name = stone.variety or str(stone.stone_type).replace("_", " ")
    # three decimals, as weighed: 0.499 ct must not read 0.50 ct next to a 0.500 ct rule
    weight = f"{per_stone_mct(stone) / 1000:.3f} ct"
    many = f"{stone.count} × " if stone.count > 1 else ""
    return f"Stone {index}: {many}{weight} {name}"


def _is_natural_diamond(stone: Stone) -> bool:
    return stone.stone_type == StoneType.DIAMOND and stone.origin_type == OriginType.NATURAL


# --- the rules -------------------------------------------------------------------------


def stone_gaps(stone: Stone, index: int, docs: Sequence[Document], today: date) -> list[Gap]:
    gaps: list[Gap] = []
    label = stone_label(stone, index)

    def gap(rule: str, sev: Severity, title: str, why: str, basis: str, *actions: Action) -> None:
        gaps.append(
            Gap(rule, sev, "stone", stone.id, label, title, why, basis, (*actions, ACKNOWLEDGE))
        )

    if _is_natural_diamond(stone):
        got = acquired(stone, today)
        if stone.warranty == WarrantyStatement.NONE:
            gap(
                "G1",
                Severity.HIGH,
                "No diamond warranty on the purchase invoice",
                "The supplier's invoice does not carry the World Diamond Council warranty that the "
                "diamond comes from legitimate, conflict-free sources. Without it you cannot pass the "
                "warranty on to your customer.",
                "WDC System of Warranties",
                Action(
                    "attach",
                    "Attach the supplier invoice that carries the warranty",
                    DocType.INVOICE,
                ),
                Action("field", "Record the warranty received", field_name="warranty"),
            )
        elif stone.warranty == WarrantyStatement.SOW_2002 and got >= SOW_2002_GRACE_END:
            gap(
                "G1",
                Severity.MEDIUM,
                "Only the old (2002) warranty wording",
                f"This diamond was bought on {got.isoformat()}, after the old warranty wording stopped "
                f"being accepted ({SOW_2002_GRACE_END.isoformat()}). Ask the supplier for an invoice with "
                "the current WDC SoW statement.",
                "WDC System of Warranties (2018 Guidelines; 5-year grace for polished goods)",
                Action("attach", "Attach an invoice with the current warranty", DocType.INVOICE),
            )
        documented = bool(stone.country_of_mining) and any(
            d.doc_type in ORIGIN_EVIDENCE for d in docs
        )
        threshold = russia_threshold_mct(got)
        if stone.country_of_mining == "RU" and not stone.grandfathered:
            gap(
                "G2",
                Severity.CRITICAL,
                "Diamond mined in Russia",
                "This diamond is recorded as mined in Russia and is not marked as stock held before the "
                "bans. Russian diamonds may not be imported or sold in the US, EU, UK and G7, even when "
                "cut elsewhere. It may not be sold until this is resolved.",
                "OFAC (EO 14068), EU Reg. 833/2014 Art. 3p, UK sanctions",
                Action("field", "Correct the country of mining", field_name="country_of_mining"),
                Action("attach", "Attach proof it was held before the bans", DocType.OTHER),
            )
        elif per_stone_mct(stone) >= threshold and not documented and stone.country_of_mining:
            # the country is recorded; what is missing is the paper that proves it
            gap(
                "G2",
                Severity.HIGH,
                f"No paper proves the country of mining ({stone.country_of_mining}) of a stone "
                "under the Russia ban",
                f"Natural diamonds of {threshold / 1000:.1f} ct and more (acquired {got.isoformat()}) must "
                f"be shown not to come from Russia. The record says {stone.country_of_mining}; attach "
                "the paper that proves it (origin report, KP or G7 certificate, or the supplier's "
                "non-Russian-origin declaration).",
                "OFAC Russia diamond ban thresholds (1.0 ct from 2024-03-01, 0.5 ct from 2024-09-01)",
                Action("attach", "Attach the origin evidence", DocType.SELF_DECLARATION_RUSSIA),
                Action("field", "Correct the country of mining", field_name="country_of_mining"),
            )
        elif per_stone_mct(stone) >= threshold and not documented:
            gap(
                "G2",
                Severity.HIGH,
                "Country of mining not documented for a stone under the Russia ban",
                f"Natural diamonds of {threshold / 1000:.1f} ct and more (acquired {got.isoformat()}) must "
                "be shown not to come from Russia. Record the country of mining and attach the paper that "
                "proves it (origin report, KP or G7 certificate, or the supplier's non-Russian-origin "
                "declaration).",
                "OFAC Russia diamond ban thresholds (1.0 ct from 2024-03-01, 0.5 ct from 2024-09-01)",
                Action("field", "Enter the country of mining", field_name="country_of_mining"),
                Action("attach", "Attach the origin evidence", DocType.SELF_DECLARATION_RUSSIA),
            )
        if not stone.country_of_mining:
            gap(
                "G3",
                Severity.MEDIUM,
                "Country of mining unknown",
                "US customs now asks for each diamond's country of mining, and customers ask where it "
                "came from. The record does not say.",
                "US CBP country-of-mining reporting (ACE, April 2025)",
                Action("field", "Enter the country of mining", field_name="country_of_mining"),
            )

    report_texts = " ".join(
        d.text for d in docs if d.doc_type in (DocType.GRADING_REPORT, DocType.ORIGIN_REPORT)
    )
    if stone.stone_type == StoneType.DIAMOND:
        says_lab = bool(_LAB_WORDS.search(report_texts))
        igi_lab = stone.report_lab.upper() == "IGI" and stone.report_no.upper().startswith("LG")
        if stone.origin_type == OriginType.NATURAL and (says_lab or igi_lab):
            gap(
                "G4",
                Severity.HIGH,
                "Recorded as natural, but the report says laboratory-grown",
                "The grading report (or its 'LG' report number) identifies a laboratory-grown diamond, "
                "while the record says natural. Selling a laboratory-grown diamond as natural is "
                "deceptive.",
                "FTC Jewelry Guides 16 CFR 23.25; IGI report numbering",
                Action("field", "Correct the origin", field_name="origin_type"),
            )
        elif stone.origin_type == OriginType.LAB_GROWN and (
            (
                stone.report_lab.upper() == "IGI"
                and stone.report_no
                and not stone.report_no.upper().startswith("LG")
            )
            or (report_texts.strip() and "natural" in report_texts.lower() and not says_lab)
        ):
            gap(
                "G4",
                Severity.HIGH,
                "Recorded as laboratory-grown, but the report says natural",
                "The report describes a natural diamond while the record says laboratory-grown. One of "
                "them is wrong; the certificate must say which it is.",
                "FTC Jewelry Guides 16 CFR 23.25",
                Action("field", "Correct the origin", field_name="origin_type"),
            )

    found = sorted({m.group(0).lower() for m in _TREATMENT_WORDS.finditer(report_texts)})
    if found and not stone.treatments:
        gap(
            "G5",
            Severity.HIGH,
            "Treatment on the report, not in the record",
            f"The report mentions {', '.join(found)}, but the record lists no treatment. Treatments must "
            "be disclosed to the customer.",
            "FTC Jewelry Guides 16 CFR 23.24",
            Action("field", "Record the treatment", field_name="treatments"),
        )
    if stone.treatments and not stone.treatment_permanent and not stone.special_care.strip():
        gap(
            "G5",
            Severity.HIGH,
            "Non-permanent treatment without care instructions",
            "The stone's treatment is not permanent; the customer must be told how to care for it.",
            "FTC Jewelry Guides 16 CFR 23.24",
            Action("field", "Write the care instructions", field_name="special_care"),
        )

    if stone.report_no:
        problem = report_number_problem(stone.report_lab, stone.report_no, stone.origin_type)
        if problem:
            gap(
                "G12",
                Severity.MEDIUM,
                "Report number does not fit its laboratory",
                problem,
                "GIA and IGI report-number formats",
                Action("field", "Correct the report number", field_name="report_no"),
            )
    return gaps


def lot_gaps(lot: MetalLot, docs: Sequence[Document]) -> list[Gap]:
    gaps: list[Gap] = []
    label = f"Metal lot {lot.lot_no} ({lot.fineness_ppt} {lot.metal})"
    if lot.metal in REFINED_METALS and not lot.refiner_id and not lot.refiner_cid:
        gaps.append(
            Gap(
                "G6",
                Severity.MEDIUM,
                "lot",
                lot.id,
                label,
                "No refiner recorded for this lot",
                "Gold and platinum-group metal must be traceable to the refiner that produced it. Without "
                "a refiner (and its RMI smelter id) the metal's origin cannot be checked.",
                "RMI Conflict Minerals Reporting Template smelter list; OECD Due Diligence Guidance step 2",
                (
                    Action("field", "Name the refiner", field_name="refiner_id"),
                    Action(
                        "attach", "Attach the assay or mill certificate", DocType.ASSAY_CERTIFICATE
                    ),
                    ACKNOWLEDGE,
                ),
            )
        )
    if lot.claim_class == ClaimClass.RECYCLED and not any(
        d.doc_type == DocType.RECYCLED_DECLARATION for d in docs
    ):
        gaps.append(
            Gap(
                "G7",
                Severity.HIGH,
                "lot",
                lot.id,
                label,
                "Called recycled, but no recycled declaration",
                "The lot is recorded as recycled metal, but the supplier's declaration that it is recycled "
                "is not attached. A 'recycled' claim to a customer must be backed by it.",
                "LBMA Responsible Gold Guidance; FTC Green Guides",
                (
                    Action(
                        "attach",
                        "Attach the recycled-metal declaration",
                        DocType.RECYCLED_DECLARATION,
                    ),
                    ACKNOWLEDGE,
                ),
            )
        )
    return gaps


def wording_gaps(item: Item, lots: dict[str, MetalLot]) -> list[Gap]:
    gaps: list[Gap] = []
    text = item.description
    label = f"Piece {item.sku}"
    fix = (Action("field", "Reword the description", field_name="description"),)
    for m in FORBIDDEN_RE.finditer(text):
        gaps.append(
            Gap(
                "G14",
                Severity.HIGH,
                "piece",
                item.id,
                label,
                f"“{m.group(0)}” in the description",
                f"“{m.group(0)}” is a claim the shop cannot prove (or, for 'faux', a word the FTC does not "
                "accept). Quote supplier statements as theirs instead.",
                "FTC Jewelry Guides 16 CFR 23; FTC Green Guides",
                fix,
            )
        )
    artificial = [
        s for s in item.stones if s.origin_type in (OriginType.LAB_GROWN, OriginType.IMITATION)
    ]
    for name in ("diamond", "ruby", "sapphire", "emerald"):
        if not any(name in (s.variety or str(s.stone_type)).lower() for s in artificial):
            continue
        for m in re.finditer(rf"\b{name}s?\b", text, re.I):
            if not _QUALIFIERS.search(text[: m.start()]):
                gaps.append(
                    Gap(
                        "G14",
                        Severity.HIGH,
                        "piece",
                        item.id,
                        label,
                        f"Unqualified “{m.group(0)}”",
                        f"The piece has a laboratory-grown or imitation {name}, but the description says "
                        f"“{m.group(0)}” without “laboratory-grown” (or “imitation”) right before it.",
                        "FTC Jewelry Guides 16 CFR 23.25",
                        fix,
                    )
                )
                break
    if re.search(r"\brecycled\b", text, re.I):
        mixed = [
            lots[m.lot_id].lot_no
            for m in item.metals
            if m.lot_id in lots and lots[m.lot_id].claim_class != ClaimClass.RECYCLED
        ]
        if mixed:
            gaps.append(
                Gap(
                    "G7",
                    Severity.HIGH,
                    "piece",
                    item.id,
                    label,
                    "Called recycled, but contains other metal",
                    f"The description says recycled, but metal from lot(s) {', '.join(mixed)} is not recycled.",
                    "FTC Green Guides 16 CFR 260.13",
                    fix,
                )
            )
    return gaps


@dataclass
class Screening:
    """What the risk lists say, prepared once for a run: the installed lists, and each
    party's latest stored screening (party id -> (legal name, hits, list version used))."""

    lists: RiskLists
    party_hits: dict[str, tuple[str, list[NameHit]]] = field(default_factory=dict)
    screened_version: dict[str, str] = field(default_factory=dict)


@dataclass
class CustodyRecords:
    """Everything the chain rules need beyond the piece itself, prepared once for a run."""

    events: dict[str, list[CustodyEvent]]  # subject id -> effective events, in time order
    parties: dict[str, Party]
    documents: dict[str, Document]  # by id
    lot_totals: dict[str, LotTotals]
    countries: frozenset[str] | None = None  # ISO 3166-1 alpha-2 codes, for KP numbers
    shop_party_id: str | None = None


def _origin_gaps(
    kind: str, cid: str, label: str, country: str, region: str, screening: Screening
) -> list[Gap]:
    hits = screen_origin(country, region, screening.lists)
    if not hits:
        return []
    reasons = "; ".join(f"{h.code}: {h.reason}" for h in hits)
    versions = ", ".join(sorted({f"{h.list.name} ({h.list.version})" for h in hits}))
    return [
        Gap(
            "G8",
            Severity.HIGH,
            kind,
            cid,
            label,
            "Origin in a high-risk area",
            f"The recorded origin is flagged — {reasons}. Enhanced due diligence is needed: the "
            "supplier's own due-diligence report, proof the mine or refiner is audited, and a record "
            "of what you checked.",
            f"OECD Due Diligence Guidance; EU Reg. 2017/821; US CBP and UFLPA. Screened against {versions}",
            (
                Action("attach", "Attach the supplier's due-diligence evidence", DocType.OTHER),
                ACKNOWLEDGE,
            ),
        )
    ]


def _party_gaps(
    kind: str, cid: str, label: str, party_ids: Iterable[str | None], screening: Screening
) -> list[Gap]:
    gaps = []
    for pid in dict.fromkeys(p for p in party_ids if p):
        name, hits = screening.party_hits.get(pid, ("", []))
        if hits:
            best = hits[0]
            gaps.append(
                Gap(
                    "G8",
                    Severity.CRITICAL,
                    kind,
                    cid,
                    label,
                    f"{name} matches a sanctioned party",
                    f"“{name}” matches “{best.listed_name}” (programme {best.program}) on the "
                    f"{best.list.name}, version {best.list.version}. Do not trade in goods from a "
                    "sanctioned party; check the match and record what you found.",
                    "US Treasury OFAC sanctions",
                    (Action("field", "Correct the party", field_name="supplier_id"), ACKNOWLEDGE),
                )
            )
    return gaps


_DOC_FOR_STONE = DocType.KP_CERTIFICATE
_ORIGIN_ACTIONS = {
    "hop": Action("hop", "Add an earlier hop (mined, cut, exported, sold on…)"),
}


_FIELD_ACTIONS = {
    "kp_cert_no": "Correct the KP certificate number",
    "weighed_metal_mg": "Re-weigh the piece's metal",
}


def _finding_gaps(
    findings: Iterable[ChainFinding],
    kind: str,
    cid: str,
    label: str,
    attach: DocType,
    parties: dict[str, Party],
) -> list[Gap]:
    out = []
    for f in findings:
        actions: list[Action] = []
        for a in f.actions:
            if a == "hop":
                actions.append(_ORIGIN_ACTIONS["hop"])
            elif a == "attach":
                actions.append(Action("attach", "Attach the supporting document", attach))
            elif a.startswith("field:"):
                name = a.split(":", 1)[1]
                actions.append(
                    Action("field", f"Correct {name.replace('_', ' ')}", field_name=name)
                )
            elif a.startswith("screen:"):
                pid = a.split(":", 1)[1]
                who = parties[pid].legal_name if pid in parties else "the party"
                actions.append(
                    Action("screen", f"Screen {who} against the installed list", field_name=pid)
                )
        actions.append(ACKNOWLEDGE)
        out.append(
            Gap(
                f.rule,
                Severity(f.severity),
                kind,
                cid,
                label,
                f.title,
                f.explanation,
                f.basis,
                tuple(actions),
            )
        )
    return out


def _chain(custody: CustodyRecords, item_id: str, *ids: str) -> list[CustodyEvent]:
    """A component's events as part of one piece: its own, and the piece's."""
    seen: dict[str, CustodyEvent] = {}
    for i in (*ids, item_id):
        for e in custody.events.get(i, ()):
            if e.belongs_to_piece(item_id):
                seen.setdefault(e.id, e)
    return sorted(seen.values(), key=lambda e: (e.event_time, e.info.stage))


def _chain_parties(events: Iterable[CustodyEvent]) -> list[str | None]:
    return [
        p
        for e in events
        for p in (e.source_owner_id, e.source_possessor_id, e.dest_owner_id, e.dest_possessor_id)
    ]


def _screening_gaps(
    kind: str,
    cid: str,
    label: str,
    party_ids: Iterable[str | None],
    screening: Screening,
    custody: CustodyRecords,
    today: date,
) -> list[Gap]:
    out: list[Gap] = []
    version = screening.lists.sanctions.version
    for pid in dict.fromkeys(p for p in party_ids if p):
        party = custody.parties.get(pid)
        if party is None or pid == custody.shop_party_id:
            continue
        found = screening_findings(party, screening.screened_version.get(pid), version, today)
        out += _finding_gaps(found, kind, cid, label, DocType.OTHER, custody.parties)
    return out


def lot_balance_gaps(
    lot: MetalLot, totals: LotTotals | None, parties: dict[str, Party]
) -> list[Gap]:
    """G11 for the lot as a whole (the same on every piece made from it)."""
    balance = lot_balance_finding(lot, totals) if totals else None
    if balance is None:
        return []
    label = f"Metal lot {lot.lot_no} ({lot.fineness_ppt} {lot.metal})"
    return _finding_gaps([balance], "lot", lot.id, label, DocType.ASSAY_CERTIFICATE, parties)


#: Each rule's name, as a filter or a heading shows it (DESIGN §3).
RULE_NAMES = {
    "G1": "No warranty statement",
    "G2": "Russia ban threshold",
    "G3": "Country of mining unknown",
    "G4": "Natural or lab-grown conflict",
    "G5": "Treatment not disclosed",
    "G6": "Gold or platinum lot without refiner",
    "G7": "Recycled without declaration",
    "G8": "High-risk origin or sanctioned party",
    "G9": "Broken chain",
    "G10": "Expired or malformed document",
    "G11": "Mass balance",
    "G12": "Report mismatch",
    "G13": "Supplier not screened or lapsed",
    "G14": "Forbidden wording",
}


#: Changes whenever a release judges or words a gap differently: checks kept under another
#: version are judged again (the dashboard never shows an old release's wording).
RULES_VERSION = "2026-11-25.1"


#: The rule dates a kept check must be redone at (a piece with no acquisition date counts as
#: acquired today, so the day a date passes can change its gaps).
RULE_DATES = (RUSSIA_PHASE1_START, RUSSIA_PHASE2_START, SOW_2002_GRACE_END)


def custody_gaps(
    item: Item,
    lots: dict[str, MetalLot],
    paper: Paperwork,
    today: date,
    custody: CustodyRecords,
    screening: Screening | None,
) -> list[Gap]:
    """G9–G11 and G13 for one piece."""
    gaps: list[Gap] = []
    for i, stone in enumerate(item.stones, 1):
        label = stone_label(stone, i)
        events = _chain(custody, item.id, stone.id)
        relevant = stone.origin_type in (OriginType.NATURAL, OriginType.LAB_GROWN) and (
            stone.stone_type in (StoneType.DIAMOND, StoneType.COLOURED_GEM)
        )
        words = "grower" if stone.origin_type == OriginType.LAB_GROWN else "mine"
        found = chain_findings(events, custody.parties, today, relevant, words)
        found += document_findings(
            events, paper.of_stone(stone), custody.documents, stone.kp_cert_no, custody.countries
        )
        gaps += _finding_gaps(found, "stone", stone.id, label, _DOC_FOR_STONE, custody.parties)
        if screening is not None:
            gaps += _screening_gaps(
                "stone",
                stone.id,
                label,
                [stone.supplier_id, *_chain_parties(events)],
                screening,
                custody,
                today,
            )
    for lot_id in dict.fromkeys(m.lot_id for m in item.metals):
        lot = lots.get(lot_id)
        if lot is None:
            continue
        label = f"Metal lot {lot.lot_no} ({lot.fineness_ppt} {lot.metal})"
        events = _chain(custody, item.id, lot.id)
        # The refiner (or recycler) named on the lot is its origin node (RMI smelter list).
        # Gold and PGM without one are already gap G6; the chain rule asks the rest.
        needs = not (lot.refiner_id or lot.refiner_cid) and lot.metal not in REFINED_METALS
        found = chain_findings(events, custody.parties, today, needs, "refiner or recycler")
        found += document_findings(
            events, paper.for_lot.get(lot.id, []), custody.documents, "", None
        )
        gaps += _finding_gaps(
            found, "lot", lot.id, label, DocType.ASSAY_CERTIFICATE, custody.parties
        )
        gaps += lot_balance_gaps(lot, custody.lot_totals.get(lot.id), custody.parties)
        if screening is not None:
            gaps += _screening_gaps(
                "lot",
                lot.id,
                label,
                [lot.refiner_id, lot.supplier_id, *_chain_parties(events)],
                screening,
                custody,
                today,
            )
    mass = piece_mass_finding(item.weighed_metal_mg, sum(m.mass_mg for m in item.metals))
    piece_label = f"Piece {item.sku}"
    if mass:
        gaps += _finding_gaps([mass], "piece", item.id, piece_label, DocType.OTHER, custody.parties)
    if screening is not None:
        gaps += _screening_gaps(
            "piece",
            item.id,
            piece_label,
            [item.supplier_id, item.maker_id],
            screening,
            custody,
            today,
        )
    return gaps


def piece_gaps(
    item: Item,
    lots: dict[str, MetalLot],
    paper: Paperwork,
    today: date,
    screening: Screening | None = None,
    custody: CustodyRecords | None = None,
) -> list[Gap]:
    """Every open gap of one piece, most severe first."""
    gaps: list[Gap] = []
    for i, stone in enumerate(item.stones, 1):
        gaps += stone_gaps(stone, i, paper.of_stone(stone), today)
        if screening is not None:
            label = stone_label(stone, i)
            if stone.country_of_mining:
                gaps += _origin_gaps(
                    "stone",
                    stone.id,
                    label,
                    stone.country_of_mining,
                    stone.region_of_mining,
                    screening,
                )
            gaps += _party_gaps("stone", stone.id, label, [stone.supplier_id], screening)
    for lot_id in dict.fromkeys(m.lot_id for m in item.metals):
        if lot_id in lots:
            lot = lots[lot_id]
            gaps += lot_gaps(lot, paper.for_lot.get(lot_id, []))
            if screening is not None:
                label = f"Metal lot {lot.lot_no} ({lot.fineness_ppt} {lot.metal})"
                if lot.country_of_origin:
                    gaps += _origin_gaps("lot", lot.id, label, lot.country_of_origin, "", screening)
                gaps += _party_gaps(
                    "lot", lot.id, label, [lot.refiner_id, lot.supplier_id], screening
                )
    if screening is not None:
        gaps += _party_gaps(
            "piece", item.id, f"Piece {item.sku}", [item.supplier_id, item.maker_id], screening
        )
    gaps += wording_gaps(item, lots)
    if custody is not None:
        gaps += custody_gaps(item, lots, paper, today, custody, screening)
    return sort_gaps(gaps)


def sort_gaps(gaps: Iterable[Gap]) -> list[Gap]:
    return sorted(gaps, key=lambda g: (-g.severity, int(g.rule[1:]), g.component_label))
