"""The shop's records as plain dataclasses (DESIGN §2). Units are integers throughout:
mass in milligrams, stone weight in millicarats, fineness in parts per thousand, money in
minor units of an ISO 4217 currency. Identifiers are UUID strings so records can one day
move between stores; people see stock numbers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


def new_id() -> str:
    return str(uuid.uuid4())


class PartyKind(StrEnum):
    SUPPLIER = "supplier"
    MINE = "mine"
    ASM_COOPERATIVE = "asm_cooperative"
    REFINER = "refiner"
    CUTTER = "cutter"
    MANUFACTURER = "manufacturer"
    WHOLESALER = "wholesaler"
    GRADING_LAB = "grading_lab"
    GROWER = "grower"
    RECYCLER = "recycler"
    CARRIER = "carrier"
    CUSTOMER = "customer"
    SHOP = "shop"


def label_of(mapping: dict[Any, str], value: str) -> str:
    """The words for a stored code ("laboratory_grown" -> "Laboratory-grown"); an unknown code
    as itself, underscores as spaces."""
    for k, v in mapping.items():
        if str(k) == value:
            return v
    return value.replace("_", " ")


PARTY_KIND_LABELS = {
    PartyKind.SUPPLIER: "Supplier",
    PartyKind.MINE: "Mine",
    PartyKind.ASM_COOPERATIVE: "Artisanal mining cooperative",
    PartyKind.REFINER: "Refiner / smelter",
    PartyKind.CUTTER: "Cutter / polisher",
    PartyKind.MANUFACTURER: "Manufacturer",
    PartyKind.WHOLESALER: "Wholesaler",
    PartyKind.GRADING_LAB: "Grading laboratory",
    PartyKind.GROWER: "Lab-grown producer",
    PartyKind.RECYCLER: "Recycler",
    PartyKind.CARRIER: "Carrier",
    PartyKind.CUSTOMER: "Customer",
    PartyKind.SHOP: "This shop",
}


class ItemStatus(StrEnum):
    IN_STOCK = "in_stock"
    MEMO_IN = "memo_in"
    MEMO_OUT = "memo_out"
    SOLD = "sold"
    RETURNED = "returned"
    SCRAPPED = "scrapped"


ITEM_STATUS_LABELS = {
    ItemStatus.IN_STOCK: "In stock",
    ItemStatus.MEMO_IN: "On memo (in)",
    ItemStatus.MEMO_OUT: "On memo (out)",
    ItemStatus.SOLD: "Sold",
    ItemStatus.RETURNED: "Returned",
    ItemStatus.SCRAPPED: "Scrapped",
}


class ItemCategory(StrEnum):
    RING = "ring"
    PENDANT = "pendant"
    EARRINGS = "earrings"
    NECKLACE = "necklace"
    BRACELET = "bracelet"
    BROOCH = "brooch"
    OTHER = "other"


class StoneType(StrEnum):
    DIAMOND = "diamond"
    COLOURED_GEM = "coloured_gem"
    PEARL = "pearl"
    OTHER = "other"


STONE_TYPE_LABELS = {
    StoneType.DIAMOND: "Diamond",
    StoneType.COLOURED_GEM: "Coloured gemstone",
    StoneType.PEARL: "Pearl",
    StoneType.OTHER: "Other",
}


class OriginType(StrEnum):
    NATURAL = "natural"
    LAB_GROWN = "laboratory_grown"
    IMITATION = "imitation"
    CULTURED_PEARL = "cultured_pearl"
    NATURAL_PEARL = "natural_pearl"


ORIGIN_TYPE_LABELS = {
    OriginType.NATURAL: "Natural (mined)",
    OriginType.LAB_GROWN: "Laboratory-grown",
    OriginType.IMITATION: "Imitation / simulant",
    OriginType.CULTURED_PEARL: "Cultured pearl",
    OriginType.NATURAL_PEARL: "Natural pearl",
}


class WarrantyStatement(StrEnum):
    NONE = "none"
    SOW_2002 = "sow_2002"
    SOW_2018 = "sow_2018"


class Metal(StrEnum):
    GOLD = "Au"
    SILVER = "Ag"
    PLATINUM = "Pt"
    PALLADIUM = "Pd"
    RHODIUM = "Rh"


METAL_LABELS = {
    Metal.GOLD: "gold",
    Metal.SILVER: "silver",
    Metal.PLATINUM: "platinum",
    Metal.PALLADIUM: "palladium",
    Metal.RHODIUM: "rhodium",
}

#: Gold and the platinum-group metals need a named refiner (gap G6).
REFINED_METALS = frozenset({Metal.GOLD, Metal.PLATINUM, Metal.PALLADIUM, Metal.RHODIUM})


class ClaimClass(StrEnum):
    MINED_CERTIFIED = "mined_certified"
    RECYCLED = "recycled"
    GRANDFATHERED = "grandfathered"
    FAIRTRADE = "fairtrade"
    FAIRMINED = "fairmined"
    UNSPECIFIED = "unspecified"


CLAIM_CLASS_LABELS = {
    ClaimClass.MINED_CERTIFIED: "Mined (certified)",
    ClaimClass.RECYCLED: "Recycled",
    ClaimClass.GRANDFATHERED: "Grandfathered stock",
    ClaimClass.FAIRTRADE: "Fairtrade",
    ClaimClass.FAIRMINED: "Fairmined",
    ClaimClass.UNSPECIFIED: "Unspecified",
}


class MetalForm(StrEnum):
    CASTING_GRAIN = "casting_grain"
    SHEET = "sheet"
    WIRE = "wire"
    FINDING = "finding"
    SCRAP = "scrap"
    BAR = "bar"


class MetalPart(StrEnum):
    SHANK = "shank"
    HEAD = "head"
    SETTING = "setting"
    CHAIN = "chain"
    FINDING = "finding"
    BODY = "body"
    OTHER = "other"


class MovementKind(StrEnum):
    """How metal moves in and out of a lot. Receipts and returns add, draws and losses remove."""

    RECEIPT = "receipt"
    DRAW = "draw"
    RETURN = "return"
    LOSS = "loss"

    @property
    def sign(self) -> int:
        return 1 if self in (MovementKind.RECEIPT, MovementKind.RETURN) else -1


class DocType(StrEnum):
    INVOICE = "invoice"
    MEMO = "memo"
    KP_CERTIFICATE = "kp_certificate"
    G7_CERTIFICATE = "g7_certificate"
    GRADING_REPORT = "grading_report"
    ORIGIN_REPORT = "origin_report"
    ASSAY_CERTIFICATE = "assay_certificate"
    MILL_CERTIFICATE = "mill_certificate"
    REFINER_BAR_LIST = "refiner_bar_list"
    RECYCLED_DECLARATION = "recycled_declaration"
    RJC_COC_TRANSFER = "rjc_coc_transfer"
    CMRT = "cmrt"
    SELF_DECLARATION_RUSSIA = "self_declaration_russia"
    CUSTOMS_ENTRY = "customs_entry"
    PHOTO = "photo"
    OTHER = "other"


DOC_TYPE_LABELS = {
    DocType.INVOICE: "Invoice",
    DocType.MEMO: "Memo",
    DocType.KP_CERTIFICATE: "Kimberley Process certificate",
    DocType.G7_CERTIFICATE: "G7 certificate",
    DocType.GRADING_REPORT: "Grading report",
    DocType.ORIGIN_REPORT: "Origin report",
    DocType.ASSAY_CERTIFICATE: "Assay certificate",
    DocType.MILL_CERTIFICATE: "Mill certificate",
    DocType.REFINER_BAR_LIST: "Refiner bar list",
    DocType.RECYCLED_DECLARATION: "Recycled-metal declaration",
    DocType.RJC_COC_TRANSFER: "RJC CoC transfer document",
    DocType.CMRT: "Conflict Minerals Reporting Template",
    DocType.SELF_DECLARATION_RUSSIA: "Russia non-origin self-declaration",
    DocType.CUSTOMS_ENTRY: "Customs entry",
    DocType.PHOTO: "Photo",
    DocType.OTHER: "Other",
}


class SubjectKind(StrEnum):
    """What a document can be attached to."""

    ITEM = "item"
    STONE = "stone"
    LOT = "lot"
    PARTY = "party"


@dataclass
class Party:
    legal_name: str
    kind: PartyKind
    country: str
    id: str = field(default_factory=new_id)
    address: str = ""
    contact: str = ""
    tax_id: str = ""
    rmi_cid: str = ""
    rjc_member_no: str = ""
    rjc_coc_cert_no: str = ""
    rjc_coc_expiry: str = ""  # ISO date
    lbma_good_delivery: bool = False
    wdc_sow_registered: bool = False
    notes: str = ""


@dataclass
class Stone:
    """A stone component: set in a piece (``item_id``) or loose (``stock_no``)."""

    stone_type: StoneType
    origin_type: OriginType
    weight_mct: int
    id: str = field(default_factory=new_id)
    item_id: str | None = None
    stock_no: str = ""
    count: int = 1
    weight_is_total: bool = False
    species: str = ""
    variety: str = ""
    shape: str = ""
    colour: str = ""
    clarity: str = ""
    treatments: list[str] = field(default_factory=list)
    treatment_permanent: bool = True
    special_care: str = ""
    growth_method: str = ""
    country_of_mining: str = ""
    region_of_mining: str = ""
    mine_name: str = ""
    country_of_cutting: str = ""
    report_lab: str = ""
    report_no: str = ""
    report_date: str = ""
    inscription: str = ""
    kp_cert_no: str = ""
    g7_cert_no: str = ""
    warranty: WarrantyStatement = WarrantyStatement.NONE
    grandfathered: bool = False
    supplier_id: str | None = None
    acquired_on: str = ""  # ISO date
    cost_minor: int = 0


@dataclass
class MetalLot:
    lot_no: str
    metal: Metal
    fineness_ppt: int
    claim_class: ClaimClass
    id: str = field(default_factory=new_id)
    form: MetalForm = MetalForm.CASTING_GRAIN
    refiner_id: str | None = None
    refiner_cid: str = ""
    bar_batch_no: str = ""
    country_of_origin: str = ""
    supplier_id: str | None = None
    received_on: str = ""
    notes: str = ""


@dataclass
class MetalComponent:
    """A piece's draw from a metal lot."""

    lot_id: str
    mass_mg: int
    fineness_ppt: int
    part: MetalPart = MetalPart.BODY
    id: str = field(default_factory=new_id)
    item_id: str | None = None


@dataclass
class Item:
    sku: str
    description: str
    category: ItemCategory = ItemCategory.RING
    status: ItemStatus = ItemStatus.IN_STOCK
    id: str = field(default_factory=new_id)
    maker_id: str | None = None
    supplier_id: str | None = None
    cost_minor: int = 0
    price_minor: int = 0
    currency: str = "USD"
    acquired_on: str = ""
    notes: str = ""
    weighed_metal_mg: int = 0  # the finished piece's metal on the scale (0: not weighed)
    stones: list[Stone] = field(default_factory=list)
    metals: list[MetalComponent] = field(default_factory=list)


@dataclass
class Document:
    sha256: str
    doc_type: DocType
    media_type: str
    size: int
    original_name: str
    id: str = field(default_factory=new_id)
    issuer: str = ""
    number: str = ""
    issue_date: str = ""
    expiry_date: str = ""
    text: str = ""
    page_count: int = 0
    added_at: str = ""


@dataclass
class ShopIdentity:
    """Who the shop is: printed on every certificate and export."""

    name: str
    address: str
    country: str
    phone: str = ""
    email: str = ""
    logo_sha256: str = ""
    certificate_prefix: str = "JD"
    currency: str = "USD"
    paper_size: str = "Letter"  # "A4" or "Letter"


# Rows the inventory tables show: flat, cheap to page through.
@dataclass(frozen=True)
class ItemRow:
    id: str
    sku: str
    description: str
    category: str
    status: str
    stone_count: int
    stone_mct: int
    metal_mg: int
    price_minor: int
    currency: str
    document_count: int


@dataclass(frozen=True)
class StoneRow:
    id: str
    stock_no: str
    description: str
    origin_type: str
    weight_mct: int
    report_lab: str
    report_no: str
    country_of_mining: str
    supplier: str
    document_count: int


@dataclass(frozen=True)
class LotRow:
    id: str
    lot_no: str
    metal: str
    fineness_ppt: int
    claim_class: str
    refiner: str
    received_mg: int
    balance_mg: int
    document_count: int


@dataclass(frozen=True)
class PartyRow:
    id: str
    legal_name: str
    kind: str
    country: str
    identifiers: str
    document_count: int


@dataclass(frozen=True)
class DocumentLink:
    document: Document
    subject_kind: SubjectKind
    subject_id: str
