"""An import runs as many queries for 20 rows as for 200: rows are read, checked and written in
batches (of 2,000), never one query per row."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.services import company_create

from .helpers import import_samples, messages, run

SMALL, LARGE = 20, 200


def _queries(kind, content, company) -> int:
    with CaptureQueriesContext(connection) as captured:
        report = run(kind, content, company)
    assert report.ok, messages(report)
    return len(captured)


def _items(count: int) -> str:
    classes = ["LOTX", "SERX", ""]
    return "Item code,Name,Lot/serial class,Standard unit cost\n" + "".join(
        f"I{n:04d},Item {n},{classes[n % 3]},{n}.25\n" for n in range(count)
    )


def _lots(count: int) -> str:
    return "Item code,Lot/serial number,Expiration date,Unit cost\n" + "".join(
        f"FLOUR,LOT-{n:04d},2027-06-30,0.5\n" if n % 2 else f"PHONE,SN-9{n:05d},,100\n" for n in range(count)
    )


def _opening_stock(count: int) -> str:
    places = ["WH1", "WH1-A", "WH1-A-01", "SHOP"]
    return "Item code,Location,Lot/serial number,Quantity,Unit cost\n" + "".join(
        f"FLOUR,{places[n % 4]},LOT-{n:04d},{n + 1},0.5\n" if n % 2 else f"PHONE,{places[n % 4]},SN-9{n:05d},1,\n" for n in range(count)
    )


def _companies():
    small, large = company_create(name="Small", code="small"), company_create(name="Large", code="large")
    return small, large


def test_importing_items_does_not_grow_with_the_rows(db):
    small, large = _companies()
    for company in (small, large):
        import_samples(company, before="items")
    assert _queries("items", _items(SMALL), small) == _queries("items", _items(LARGE), large)


def test_updating_items_does_not_grow_with_the_rows(db):
    small, large = _companies()
    for company, count in ((small, SMALL), (large, LARGE)):
        import_samples(company, before="items")
        run("items", _items(count), company)
    changed = {count: _items(count).replace(".25\n", ".75\n") for count in (SMALL, LARGE)}
    assert _queries("items", changed[SMALL], small) == _queries("items", changed[LARGE], large)


def test_importing_lots_does_not_grow_with_the_rows(db):
    small, large = _companies()
    for company in (small, large):
        import_samples(company, before="lots")
    assert _queries("lots", _lots(SMALL), small) == _queries("lots", _lots(LARGE), large)


def test_importing_the_same_lots_again_does_not_grow_with_the_rows(db):
    small, large = _companies()
    for company, count in ((small, SMALL), (large, LARGE)):
        import_samples(company, before="lots")
        run("lots", _lots(count), company)
    assert _queries("lots", _lots(SMALL), small) == _queries("lots", _lots(LARGE), large)


def test_importing_opening_stock_does_not_grow_with_the_rows(db):
    small, large = _companies()
    for company, count in ((small, SMALL), (large, LARGE)):
        import_samples(company, before="opening_stock")
        assert run("lots", _lots(count), company).ok
    assert _queries("opening_stock", _opening_stock(SMALL), small) == _queries("opening_stock", _opening_stock(LARGE), large)


def test_importing_locations_and_partners_does_not_grow_with_the_rows(db):
    small, large = _companies()
    for kind, make in (
        ("locations", lambda n: "Code,Name,Parent\nROOT,Root,\n" + "".join(f"B{i:04d},Bin {i},ROOT\n" for i in range(n))),
        ("partners", lambda n: "Code,Name,Supplier\n" + "".join(f"P{i:04d},Partner {i},yes\n" for i in range(n))),
    ):
        assert _queries(kind, make(SMALL), small) == _queries(kind, make(LARGE), large), kind


def test_changing_lots_does_not_grow_with_the_rows(db):
    """New expiry dates, references and notes for lots already there (the update path)."""
    small, large = _companies()
    for company, count in ((small, SMALL), (large, LARGE)):
        import_samples(company, before="lots")
        run("lots", _lots(count), company)
    changed = {count: _lots(count).replace("2027-06-30", "2028-01-31") for count in (SMALL, LARGE)}
    assert _queries("lots", changed[SMALL], small) == _queries("lots", changed[LARGE], large)
