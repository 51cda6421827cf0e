"""The regulator's pack from a real shop: the EPCIS document validates against GS1's schema,
event hashes recompute independently, the manifest matches the files, and the same records
give the same bytes."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import jsonschema
import pytest
from epcis_event_hash_generator import hash_generator, json_to_py

from jewelerdesk.domain.custody import Hop
from jewelerdesk.domain.model import OriginType, ShopIdentity, Stone, StoneType, SubjectKind
from jewelerdesk.errors import NotFound, StorageError
from jewelerdesk.services import custody, inventory, regulator, sales
from jewelerdesk.services.shop import Shop

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "data" / "epcis" / "EPCIS-JSON-Schema.json").read_text()
)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def pack(shop: Shop, path: Path, **kw) -> tuple[regulator.PackResult, zipfile.ZipFile]:
    result = regulator.export_regulator(shop, path, **kw)
    return result, zipfile.ZipFile(path)


def epcis_doc(z: zipfile.ZipFile) -> dict:
    return json.loads(z.read("epcis.jsonld"))


def assert_valid(doc: dict) -> None:
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in VALIDATOR.iter_errors(doc)]
    assert errors == []


def recomputed(doc: dict) -> list[str]:
    """The GS1 event hashes of the document as published, computed afresh."""
    events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(doc))
    return list(hash_generator.epcis_hashes_from_events(events))


def table(z: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8"), newline="")))


def test_the_demo_shop_pack_validates_and_hashes_recompute(demo_shop: Shop, tmp_path: Path):
    sales.sell(demo_shop, sales.SaleRequest(["R-0001"]))
    result, z = pack(demo_shop, tmp_path / "pack.zip")
    doc = epcis_doc(z)
    assert_valid(doc)
    events = doc["epcisBody"]["eventList"]
    assert len(events) == result.events > 50
    assert all(e["eventID"].startswith("ni:///sha-256;") for e in events)
    assert recomputed(doc) == [e["eventID"] for e in events]
    assert len({e["eventID"] for e in events}) == len(events)
    assert {"jd": "https://jewelerdesk.example/ns/"} in doc["@context"]
    steps = {e["bizStep"] for e in events}
    assert {"receiving", "retail_selling", "assembling"} <= steps
    sold = next(e for e in events if e["bizStep"] == "retail_selling")
    assert sold["disposition"] == "retail_sold" and sold["bizTransactionList"][0]["type"] == "inv"
    # what EPCIS has no word for is in the jd namespace: master data in the header
    vocab = {
        v["type"].rsplit("/", 1)[1]: v
        for v in doc["epcisHeader"]["epcisMasterData"]["vocabularyList"]
    }
    stones = vocab["Stone"]["vocabularyElementList"]
    attrs = [{a["id"].rsplit("/", 1)[1]: a["attribute"] for a in s["attributes"]} for s in stones]
    assert any(a.get("countryOfMining") == "BW" and a.get("labGrown") == "false" for a in attrs)
    assert any(a.get("labGrown") == "true" for a in attrs)
    lots = vocab["MetalLot"]["vocabularyElementList"]
    assert any(
        {"id": "https://jewelerdesk.example/ns/finenessPpt", "attribute": 750} in x["attributes"]
        for x in lots
    )


def test_the_document_reads_one_event_a_line_and_leaves_the_hash_library_as_it_was(
    demo_shop: Shop, tmp_path: Path
) -> None:
    before = hash_generator._canonize_value, hash_generator._fix_time_stamp_format
    result, z = pack(demo_shop, tmp_path / "pack.zip")
    assert (hash_generator._canonize_value, hash_generator._fix_time_stamp_format) == before
    text = z.read("epcis.jsonld").decode("utf-8")
    lines = text.splitlines()
    event_lines = [ln for ln in lines if ln.lstrip().startswith('{"type":"ObjectEvent"')
                   or ln.lstrip().startswith('{"type":"TransformationEvent"')]  # fmt: skip
    assert len(event_lines) == result.events  # each event whole on its own line
    for ln in event_lines:
        assert json.loads(ln.strip().rstrip(","))["eventID"].startswith("ni:///sha-256;")
    assert max(len(ln) for ln in lines) < 20_000  # no line holds the whole document
    assert json.loads(text) == epcis_doc(z)


def test_manifest_lists_every_file_with_its_hash(demo_shop: Shop, tmp_path: Path) -> None:
    result, z = pack(demo_shop, tmp_path / "pack.zip")
    manifest = table(z, "manifest.csv")
    names = set(z.namelist())
    assert {m["path"] for m in manifest} == names - {"manifest.csv"}
    for m in manifest:
        data = z.read(m["path"])
        assert hashlib.sha256(data).hexdigest() == m["sha256"]
        assert len(data) == int(m["size"])
    docs = [n for n in names if n.startswith("documents/")]
    assert len(docs) == result.documents > 0
    for n in docs:  # a document is named by its own hash
        assert hashlib.sha256(z.read(n)).hexdigest() == Path(n).stem
    assert {"us_customs_diamonds.csv", "eu_2017_821_lots.csv", "warranty_reconciliation.csv",
            "refiners.csv", "README.txt"} <= names  # fmt: skip


def test_the_same_records_give_the_same_bytes(demo_shop: Shop, tmp_path: Path) -> None:
    first, _ = pack(demo_shop, tmp_path / "a.zip")
    second, _ = pack(demo_shop, tmp_path / "b.zip")
    assert first.hashed_now > 0 and second.hashed_now == 0  # hashes kept once computed
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_event_hashes_are_kept_and_cannot_be_changed(demo_shop: Shop, tmp_path: Path) -> None:
    pack(demo_shop, tmp_path / "a.zip")
    n = demo_shop.db.execute("SELECT count(*) FROM event_hash").fetchone()[0]
    assert n > 50
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        demo_shop.db.execute("UPDATE event_hash SET hash = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        demo_shop.db.execute("DELETE FROM event_hash")


def test_a_shop_with_no_events_gives_a_valid_empty_document(shop: Shop, tmp_path: Path) -> None:
    inventory.save_shop_identity(shop, ShopIdentity("Empty Shop", "1 Main St", "US"))
    result, z = pack(shop, tmp_path / "empty.zip")
    doc = epcis_doc(z)
    assert_valid(doc)
    assert doc["epcisBody"]["eventList"] == [] and result.events == 0
    assert table(z, "us_customs_diamonds.csv") == []


def test_corrections_and_retractions_are_declared(demo_shop: Shop, tmp_path: Path) -> None:
    stone = next(s for s in inventory.get_item_by_sku(demo_shop, "R-0002").stones)
    mined = custody.record_hop(
        demo_shop, Hop.MINED, SubjectKind.STONE, stone.id, "2023-05-01", country="ZA"
    )
    fixed = custody.correct_hop(demo_shop, mined.id, country="BW")
    cut = custody.record_hop(
        demo_shop, Hop.CUT, SubjectKind.STONE, stone.id, "2023-09-01", country="IN"
    )
    custody.retract_event(demo_shop, cut.id, "recorded against the wrong stone")
    _, z = pack(demo_shop, tmp_path / "p.zip", skus=["R-0002"])
    doc = epcis_doc(z)
    assert_valid(doc)
    events = doc["epcisBody"]["eventList"]
    assert recomputed(doc) == [e["eventID"] for e in events]
    by_record = {e["jd:recordId"]: e for e in events}
    original = by_record[mined.id]
    assert original["errorDeclaration"]["correctiveEventIDs"] == [by_record[fixed.id]["eventID"]]
    assert by_record[fixed.id]["jd:correctsRecord"] == mined.id
    assert by_record[fixed.id]["jd:locationCountry"] == "BW"
    withdrawn = by_record[cut.id]["errorDeclaration"]
    assert "correctiveEventIDs" not in withdrawn and withdrawn["reason"] == "incorrect_data"


def test_a_repaired_piece_and_a_pack_for_chosen_pieces(demo_shop: Shop, tmp_path: Path) -> None:
    ring = inventory.get_item_by_sku(demo_shop, "R-0001")
    # repaired at the bench: a side stone added, which is a second assembly of the piece
    ring.stones.append(
        Stone(
            StoneType.DIAMOND, OriginType.LAB_GROWN, 50, report_lab="IGI", acquired_on="2026-10-01"
        )
    )
    inventory.save_item(demo_shop, ring)
    ring = inventory.get_item_by_sku(demo_shop, "R-0001")
    _, z = pack(demo_shop, tmp_path / "r.zip", skus=["R-0001"])
    doc = epcis_doc(z)
    assert_valid(doc)
    events = doc["epcisBody"]["eventList"]
    assemblies = [e for e in events if e["bizStep"] == "assembling"]
    assert len(assemblies) == 2
    assert all(e["outputEPCList"] == [f"urn:uuid:{ring.id}"] for e in assemblies)
    ids = {epc for e in events for key in ("epcList", "inputEPCList", "outputEPCList")
           for epc in e.get(key, [])}  # fmt: skip
    other = inventory.get_item_by_sku(demo_shop, "R-0002")
    assert f"urn:uuid:{ring.id}" in ids and f"urn:uuid:{other.id}" not in ids
    lots = table(z, "eu_2017_821_lots.csv")
    assert [r["lot_number"] for r in lots] == [
        m.lot_id and inventory.get_lot(demo_shop, m.lot_id).lot_no for m in ring.metals
    ]
    diamonds = table(z, "us_customs_diamonds.csv")
    assert [d["piece_or_stock_no"] for d in diamonds] == ["R-0001", "R-0001"]
    assert diamonds[0]["country_of_mining"] == "BW" and diamonds[0]["carats_total"] == "1.200"
    assert diamonds[1]["origin"] == "Laboratory-grown" and diamonds[1]["carats_total"] == "0.050"
    with pytest.raises(NotFound):
        regulator.export_regulator(demo_shop, tmp_path / "x.zip", skus=["NOPE"])


def test_a_period_keeps_only_its_events(demo_shop: Shop, tmp_path: Path) -> None:
    _, z = pack(demo_shop, tmp_path / "q.zip", start="2026-02-01", end="2026-02-28")
    events = epcis_doc(z)["epcisBody"]["eventList"]
    assert events and all(e["eventTime"][:7] == "2026-02" for e in events)


def test_a_missing_document_file_stops_the_pack_plainly(demo_shop: Shop, tmp_path: Path) -> None:
    sha = demo_shop.db.execute("SELECT sha256 FROM document LIMIT 1").fetchone()[0]
    blob = demo_shop.paths.documents / sha[:2] / sha
    blob.unlink()
    with pytest.raises(StorageError, match="missing"):
        regulator.export_regulator(demo_shop, tmp_path / "bad.zip")
    assert not (tmp_path / "bad.zip").exists()


def test_a_malformed_period_is_refused_before_anything_is_written(
    demo_shop: Shop, tmp_path: Path
) -> None:
    from jewelerdesk.errors import ValidationError

    with pytest.raises(ValidationError, match="2026-01-31"):
        regulator.export_regulator(demo_shop, tmp_path / "p.zip", start="2026-13-01")
    with pytest.raises(ValidationError, match="before its start"):
        regulator.export_regulator(demo_shop, tmp_path / "p.zip", "2026-06-01", "2026-05-01")
    assert not (tmp_path / "p.zip").exists()


def test_the_warranty_reconciliation_keeps_to_the_packs_pieces_and_period(
    demo_shop: Shop, tmp_path: Path
) -> None:
    def sold(z: zipfile.ZipFile) -> dict[str, int]:
        return {
            r["month"]: int(r["sold_with_sow_stones"]) + int(r["sold_without_sow_stones"])
            for r in table(z, "warranty_reconciliation.csv")
            if int(r["sold_with_sow_stones"]) + int(r["sold_without_sow_stones"])
        }

    def received(z: zipfile.ZipFile) -> set[str]:
        return {
            r["month"]
            for r in table(z, "warranty_reconciliation.csv")
            if int(r["received_with_sow_stones"]) + int(r["received_without_sow_stones"])
        }

    sales.sell(demo_shop, sales.SaleRequest(["R-0002"], day="2026-10-15"))  # another customer
    sales.sell(demo_shop, sales.SaleRequest(["R-0001"], day="2026-11-02"))
    whole = sold(pack(demo_shop, tmp_path / "all.zip")[1])
    assert whole.get("2026-11") == 1 and whole.get("2026-10", 0) >= 1

    one = sold(pack(demo_shop, tmp_path / "one.zip", skus=["R-0001"])[1])
    assert one == {"2026-11": 1}  # not the other customers' pieces

    _, z = pack(demo_shop, tmp_path / "jan25.zip", start="2025-01-01", end="2025-01-31")
    assert sold(z) == {} and received(z) <= {"2025-01"}  # nothing from another period
    _, z = pack(demo_shop, tmp_path / "nov.zip", start="2026-11-01", end="2026-11-30")
    assert sold(z) == {"2026-11": 1}  # October's sale is outside the period
