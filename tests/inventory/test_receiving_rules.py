"""Issue 10's rules for numbering and posting stock, on every path that numbers or posts it.

The paths: Save & post and the view page's Post (``document_post(auto_allocate=True)``), the
dialogs' scan and paste (``line_allocate``), Propose (``line_allocate_proposed``), Generate
(``line_numbers_generate``), Assign numbers (``unassigned_assign``) and a work order's completion.
"""

import contextlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.exceptions import InvalidDocument, InventoryError, NumberingError
from inventory.models import Allocation, Balance, DocumentKind, DocumentStatus, Lot, NumberAssignment, NumberCheck, StockMove, Tracking
from inventory.numbering import SegmentSpec, pattern_shape, template_shape
from inventory.selectors import document_unnumbered, unavailable_summary
from inventory.services import (
    document_cancel,
    document_create,
    document_line_add,
    document_line_update,
    document_post,
    line_allocate,
    line_allocate_proposed,
    line_numbers_generate,
    lot_hold,
    number_preview,
    unassigned_assign,
)
from manufacturing.services import work_order_complete, work_order_create, work_order_release
from tests.inventory.factories import ItemFactory, LotClassFactory, PartnerFactory
from tests.inventory.flows import on_hand, receive
from tests.manufacturing.factories import BomFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LATER = TODAY + timedelta(days=400)
NW_TEMPLATE = [("constant", "NW"), ("date", "YYMM"), ("counter", "00001")]


# Set-up ----------------------------------------------------------------------------------------


def serial_item(company, sku="PHONE", **class_fields):
    return ItemFactory(company=company, sku=sku, lot_class=LotClassFactory(company=company, **class_fields))


def lot_item(company, sku="FLOUR", **class_fields):
    class_fields.setdefault("segments", [("constant", "L"), ("counter", "001")])
    return ItemFactory(company=company, sku=sku, lot_class=LotClassFactory(company=company, tracking=Tracking.LOT, **class_fields))


def draft(item, quantity, *, kind=DocumentKind.RECEIPT, lot_number="", expiry=None, **document_fields):
    document = document_create(company=item.company, kind=kind, **document_fields)
    line = document_line_add(document=document, item=item, quantity=Decimal(quantity), lot_number=lot_number, expiry_date=expiry)
    return document, line


def receipt(item, location, quantity, **kwargs):
    return draft(item, quantity, kind=DocumentKind.RECEIPT, to_location=location, **kwargs)


def delivery(item, location, quantity, **kwargs):
    return draft(item, quantity, kind=DocumentKind.DELIVERY, from_location=location, **kwargs)


def numbers_of(item):
    return sorted(Lot.objects.filter(item=item).values_list("number", flat=True))


def assert_nothing_written(document, item):
    document.refresh_from_db()
    assert document.status == DocumentStatus.DRAFT
    assert not StockMove.objects.filter(document=document).exists()
    assert not Balance.objects.filter(item=item).exists()
    assert not Lot.objects.filter(item=item).exists()


def refused(callable_, **kwargs) -> str:
    with pytest.raises(InventoryError) as error:
        callable_(**kwargs)
    return str(error.value)


def released_work_order(company, location, item, components, quantity):
    """A released work order for ``item`` made of ``components`` ([(item, per unit)])."""
    bom = BomFactory(company=company, item=item, components=components)
    work_order = work_order_create(company=company, item=item, quantity=Decimal(quantity), location=location, bom=bom)
    return work_order_release(work_order=work_order)


def screws(company, location, quantity=100):
    item = ItemFactory(company=company, sku="SCREW", unit_cost=Decimal("0.10"))
    receive(item=item, location=location, quantity=quantity)
    return item


# 1. A lot number typed on a receipt line is the lot ------------------------------------------


def test_typed_lot_save_and_post_receives_that_lot_with_the_lines_expiry_and_a_second_receipt_adds_to_it(company, warehouse):
    item = lot_item(company, track_expiry=True)
    first, _ = receipt(item, warehouse, 40, lot_number="SUP-7", expiry=date(2027, 3, 1))
    document_post(document=first, auto_allocate=True)
    second, _ = receipt(item, warehouse, 10, lot_number="SUP-7", expiry=date(2027, 3, 1))
    document_post(document=second, auto_allocate=True)
    lot = Lot.objects.get(item=item)
    assert (lot.number, lot.expiry_date) == ("SUP-7", date(2027, 3, 1))
    assert on_hand(item, warehouse, lot) == 50 and on_hand(item, warehouse, unnumbered=True) == 0
    assert number_preview(item=item) == "L001"  # nothing generated: the counter was not taken


def test_typed_lot_propose_proposes_that_lot_and_generates_none(company, warehouse):
    item = lot_item(company, track_expiry=True)
    document, line = receipt(item, warehouse, 40, lot_number="SUP-7", expiry=date(2027, 3, 1))
    outcome = line_allocate_proposed(line=line)
    assert outcome.accepted == ["SUP-7"] and not outcome.rejected
    assert list(Allocation.objects.filter(line=line).values_list("number", "quantity", "expiry_date")) == [
        ("SUP-7", Decimal(40), date(2027, 3, 1))
    ]
    document_post(document=document, auto_allocate=True)
    assert numbers_of(item) == ["SUP-7"] and number_preview(item=item) == "L001"


def test_typed_lot_generate_does_not_receive_another_lot(company, warehouse):
    item = lot_item(company, track_expiry=True)
    document, line = receipt(item, warehouse, 40, lot_number="SUP-7", expiry=date(2027, 3, 1))
    with contextlib.suppress(InventoryError):  # refusing to generate over a typed lot is as good as using it
        line_numbers_generate(line=line)
    document_post(document=document, auto_allocate=True)
    assert numbers_of(item) == ["SUP-7"]
    assert on_hand(item, warehouse, Lot.objects.get(item=item, number="SUP-7")) == 40


def test_typed_lot_of_the_wrong_shape_refuses_save_and_post_naming_the_line(company, warehouse):
    item = lot_item(company, number_check=NumberCheck.PATTERN, number_pattern=r"[A-Z]{3}-\d{3}")
    document, _ = receipt(item, warehouse, 40, lot_number="sup 7")
    with pytest.raises(InvalidDocument) as error:
        document_post(document=document, auto_allocate=True)
    (problem,) = error.value.problems
    assert problem.line == 1 and "does not have the shape" in problem.message
    assert_nothing_written(document, item)


def test_typed_lot_without_the_expiry_its_class_tracks_refuses_save_and_post_naming_the_line(company, warehouse):
    item = lot_item(company, track_expiry=True)
    document, _ = receipt(item, warehouse, 40, lot_number="SUP-7")
    with pytest.raises(InvalidDocument) as error:
        document_post(document=document, auto_allocate=True)
    assert [p.line for p in error.value.problems] == [1]
    assert "expiration date" in str(error.value)
    assert_nothing_written(document, item)


@pytest.mark.parametrize(
    "class_fields, expiry, reason",
    [
        ({"number_check": NumberCheck.PATTERN, "number_pattern": r"[A-Z]{3}-\d{3}"}, None, "does not have the shape"),
        ({"track_expiry": True}, None, "needs an expiration date"),
    ],
    ids=["shape", "expiry"],
)
def test_typed_lot_that_breaks_a_rule_is_refused_by_propose(company, warehouse, class_fields, expiry, reason):
    item = lot_item(company, **class_fields)
    _, line = receipt(item, warehouse, 40, lot_number="sup 7", expiry=expiry)
    outcome = line_allocate_proposed(line=line)
    assert outcome.accepted == [] and [r.number for r in outcome.rejected] == ["sup 7"]
    assert reason in outcome.rejected[0].reason
    assert not Allocation.objects.filter(line=line).exists() and number_preview(item=item) == "L001"


def test_typed_lot_on_a_work_orders_output_is_the_lot_it_makes(company, warehouse):
    paint = lot_item(company, sku="PAINT", track_expiry=True)
    work_order = released_work_order(company, warehouse, paint, [(screws(company, warehouse), 2)], 5)
    out_line = work_order.output_document.lines.get()
    document_line_update(line=out_line, item=paint, quantity=out_line.quantity, lot_number="BATCH-9", expiry_date=date(2027, 6, 1))
    work_order_complete(work_order=work_order)
    lot = Lot.objects.get(item=paint)
    assert (lot.number, lot.expiry_date) == ("BATCH-9", date(2027, 6, 1))
    assert on_hand(paint, warehouse, lot) == 5


# 2. A number not in stock on an outgoing line is new only when confirmed ----------------------


def unnumbered_serials(company, location, how):
    """5 units of a fully tracked serial item at ``location`` without numbers."""
    if how == "when_used":
        item = serial_item(company, assignment=NumberAssignment.WHEN_USED)
        receive(item=item, location=location, quantity=5)
    else:  # an unassigned remainder the batch size left
        item = serial_item(company, batch_size=2)
        document, _ = receipt(item, location, 7)
        document_post(document=document, auto_allocate=True)
    assert on_hand(item, location, unnumbered=True) == 5
    return item


@pytest.mark.parametrize("how", ["when_used", "remainder"])
@pytest.mark.parametrize("kind", [DocumentKind.DELIVERY, DocumentKind.TRANSFER])
def test_outgoing_number_not_in_stock_is_refused_until_confirmed_then_numbers_one_unit(company, warehouse, warehouse2, how, kind):
    item = unnumbered_serials(company, warehouse, how)
    ends = {"to_location": warehouse2} if kind == DocumentKind.TRANSFER else {}
    document, line = draft(item, 1, kind=kind, from_location=warehouse, **ends)
    outcome = line_allocate(line=line, numbers="X-900")
    (rejected,) = outcome.rejected
    assert (rejected.number, rejected.confirm) == ("X-900", "new")
    assert "confirm" in rejected.reason.lower() and "new serial number" in rejected.reason and "unnumbered" in rejected.reason
    assert not Allocation.objects.filter(line=line).exists()
    assert line_allocate(line=line, numbers="X-900", confirm=True).accepted == ["X-900"]
    document_post(document=document, auto_allocate=True)
    lot = Lot.objects.get(item=item, number="X-900")
    assert on_hand(item, warehouse, unnumbered=True) == 4
    if kind == DocumentKind.TRANSFER:
        assert on_hand(item, warehouse2, lot) == 1 and (lot.in_stock, lot.last_location) == (True, warehouse2)
    else:
        assert not lot.in_stock and lot.last_location == warehouse


def test_outgoing_lot_number_not_in_stock_is_refused_until_confirmed(company, warehouse):
    item = lot_item(company, assignment=NumberAssignment.WHEN_USED)
    receive(item=item, location=warehouse, quantity=12)
    document, line = delivery(item, warehouse, 3)
    (rejected,) = line_allocate(line=line, numbers="LOT-NEW", quantity=Decimal(3)).rejected
    assert rejected.confirm == "new" and "new lot number" in rejected.reason
    assert line_allocate(line=line, numbers="LOT-NEW", quantity=Decimal(3), confirm=True).accepted == ["LOT-NEW"]
    document_post(document=document, auto_allocate=True)
    assert numbers_of(item) == ["LOT-NEW"] and on_hand(item, warehouse, unnumbered=True) == 9


@pytest.mark.parametrize("how", ["when_used", "remainder"])
def test_assign_numbers_takes_new_numbers_without_confirmation(company, warehouse, how):
    item = unnumbered_serials(company, warehouse, how)
    document = unassigned_assign(item=item, location=warehouse, numbers=["X-901", "X-902"])
    assert document.status == DocumentStatus.POSTED
    for number in ("X-901", "X-902"):
        assert on_hand(item, warehouse, Lot.objects.get(item=item, number=number)) == 1
    assert on_hand(item, warehouse, unnumbered=True) == 3


# 3. A class's numbers have its shape -----------------------------------------------------------


def specs(segments):
    return [SegmentSpec(kind, value) for kind, value in segments]


def test_template_shape_takes_constants_dates_and_the_counter():
    shape = template_shape(specs(NW_TEMPLATE))
    assert shape.problem("NW261200050") is None
    assert shape.problem("NW261299999") is None
    for typo in ("NW26120050", "UHT-1201", "NW261300050", "nw261200050", "NW261200050X"):
        assert "does not have the shape" in shape.problem(typo), typo


def test_template_shape_reads_month_names_and_days():
    shape = template_shape(specs([("constant", "B"), ("date", "DDMONYY"), ("counter", "01")]))
    assert shape.problem("B15DEC2601") is None and shape.problem("B01JAN2799") is None
    for typo in ("B15DCE2601", "B32DEC2601", "B00DEC2601", "B15dec2601", "B1512262601"):
        assert shape.problem(typo) is not None, typo


def test_template_shape_takes_a_counter_wider_than_its_start_but_not_narrower():
    shape = template_shape(specs([("constant", "SN"), ("counter", "001")]))
    assert shape.problem("SN001") is None and shape.problem("SN1000") is None and shape.problem("SN123456") is None
    assert shape.problem("SN01") is not None and shape.problem("SN") is not None
    own_start = template_shape(specs([("constant", "SN"), ("counter", "001")]), "00001")
    assert own_start.problem("SN00001") is None and own_start.problem("SN001") is not None


def test_template_shape_words_give_an_example():
    shape = template_shape(specs(NW_TEMPLATE), example_on=date(2026, 12, 1))
    assert shape.words.endswith("like NW261200001")
    assert "NW261200001" in shape.problem("UHT-1201")


def test_pattern_shape_matches_whole_numbers_and_refuses_a_bad_expression():
    shape = pattern_shape(r"[A-Z]{2}\d{9}")
    assert shape.problem("AB123456789") is None
    for typo in ("AB12345678", "AB1234567890", "ab123456789", "XAB123456789"):
        assert "does not have the shape" in shape.problem(typo), typo
    with pytest.raises(NumberingError, match="not a valid regular expression"):
        pattern_shape("[A-Z")


@pytest.mark.parametrize(
    "check, good, bad",
    [
        ({"number_check": NumberCheck.TEMPLATE, "segments": NW_TEMPLATE}, "NW261200050", ["NW26120050", "UHT-1201"]),
        ({"number_check": NumberCheck.PATTERN, "number_pattern": r"[A-Z]{2}\d{9}"}, "AB123456789", ["AB1234", "UHT-1201"]),
    ],
    ids=["template", "pattern"],
)
def test_receipt_scan_and_paste_refuse_new_numbers_of_another_shape(company, warehouse, check, good, bad):
    item = serial_item(company, **check)
    _, line = receipt(item, warehouse, 3)
    outcome = line_allocate(line=line, numbers=[good, *bad])
    assert outcome.accepted == [good]
    assert [r.number for r in outcome.rejected] == bad
    assert all("does not have the shape" in r.reason and r.confirm == "" for r in outcome.rejected)


def test_receipt_typed_lot_of_another_template_shape_refuses_save_and_post(company, warehouse):
    item = lot_item(company, number_check=NumberCheck.TEMPLATE, segments=NW_TEMPLATE)
    document, _ = receipt(item, warehouse, 40, lot_number="UHT-1201")
    with pytest.raises(InvalidDocument) as error:
        document_post(document=document, auto_allocate=True)
    assert [p.line for p in error.value.problems] == [1] and "does not have the shape" in str(error.value)
    assert_nothing_written(document, item)
    good, _ = receipt(item, warehouse, 40, lot_number="NW261200050")
    document_post(document=good, auto_allocate=True)
    assert numbers_of(item) == ["NW261200050"]


def test_outgoing_new_number_of_another_shape_is_refused_even_confirmed(company, warehouse):
    item = serial_item(company, assignment=NumberAssignment.WHEN_USED, number_check=NumberCheck.TEMPLATE, segments=NW_TEMPLATE)
    receive(item=item, location=warehouse, quantity=5)
    _, line = delivery(item, warehouse, 2)
    outcome = line_allocate(line=line, numbers=["NW26120050", "UHT-1201", "NW261200050"], confirm=True)
    assert outcome.accepted == ["NW261200050"]
    assert [(r.number, r.confirm) for r in outcome.rejected] == [("NW26120050", ""), ("UHT-1201", "")]
    assert all("does not have the shape" in r.reason for r in outcome.rejected)


def test_assign_numbers_refuses_numbers_of_another_shape_and_writes_nothing(company, warehouse):
    item = serial_item(company, assignment=NumberAssignment.WHEN_USED, number_check=NumberCheck.TEMPLATE, segments=NW_TEMPLATE)
    receive(item=item, location=warehouse, quantity=5)
    with pytest.raises(InvalidDocument) as error:
        unassigned_assign(item=item, location=warehouse, numbers=["NW261200050", "NW26120050"])
    assert [p.number for p in error.value.problems] == ["NW26120050"]
    assert "does not have the shape" in str(error.value)
    assert numbers_of(item) == [] and on_hand(item, warehouse, unnumbered=True) == 5
    unassigned_assign(item=item, location=warehouse, numbers=["NW261200050"])
    assert numbers_of(item) == ["NW261200050"]


def test_existing_numbers_are_not_checked_against_a_shape_set_later(company, warehouse):
    item = serial_item(company)
    receive(item=item, location=warehouse, numbers=["UHT-1201", "UHT-1202"])
    lot_class = item.lot_class
    lot_class.number_check, lot_class.number_pattern = NumberCheck.PATTERN, r"[A-Z]{2}\d{9}"
    lot_class.save()
    item.refresh_from_db()
    customer = PartnerFactory(company=company)
    document, line = delivery(item, warehouse, 1, partner=customer)
    assert line_allocate(line=line, numbers="UHT-1201").accepted == ["UHT-1201"]
    document_post(document=document, auto_allocate=True)
    back, line = draft(item, 1, kind=DocumentKind.CUSTOMER_RETURN, to_location=warehouse, partner=customer)
    assert line_allocate(line=line, numbers="UHT-1201").accepted == ["UHT-1201"]
    document_post(document=back, auto_allocate=True)
    _, line = delivery(item, warehouse, 2)
    assert sorted(line_allocate_proposed(line=line).accepted) == ["UHT-1201", "UHT-1202"]


@pytest.mark.parametrize("path", ["generate", "propose", "save_and_post"])
def test_numbers_generated_from_a_checked_template_pass_its_shape(company, warehouse, path):
    item = serial_item(company, number_check=NumberCheck.TEMPLATE, segments=NW_TEMPLATE)
    document, line = receipt(item, warehouse, 2, date=date(2026, 12, 1))
    if path == "generate":
        assert line_numbers_generate(line=line).accepted == ["NW261200001", "NW261200002"]
    elif path == "propose":
        assert line_allocate_proposed(line=line).accepted == ["NW261200001", "NW261200002"]
    document_post(document=document, auto_allocate=True)
    assert numbers_of(item) == ["NW261200001", "NW261200002"]


def test_work_order_output_typed_lot_of_another_shape_is_refused(company, warehouse):
    paint = lot_item(company, sku="PAINT", number_check=NumberCheck.PATTERN, number_pattern=r"PB-\d{4}")
    work_order = released_work_order(company, warehouse, paint, [(screws(company, warehouse), 2)], 5)
    out_line = work_order.output_document.lines.get()
    document_line_update(line=out_line, item=paint, quantity=out_line.quantity, lot_number="PB-12")
    message = refused(work_order_complete, work_order=work_order)
    assert "does not have the shape" in message
    assert not Lot.objects.filter(item=paint).exists() and on_hand(paint, warehouse) == 0
    assert not StockMove.objects.filter(document=work_order.consumption_document).exists()


# 4. Receipts that number when received ask for what the numbers need --------------------------


@pytest.mark.parametrize("auto_allocate", [True, False], ids=["save_and_post", "post_allocated"])
@pytest.mark.parametrize("tracking", [Tracking.SERIAL, Tracking.LOT])
def test_receipt_missing_the_expiry_its_class_tracks_is_refused_naming_the_line(company, warehouse, auto_allocate, tracking):
    klass = LotClassFactory(company=company, tracking=tracking, track_expiry=True)
    item = ItemFactory(company=company, sku="MILK", lot_class=klass)
    document, _ = receipt(item, warehouse, 6)
    with pytest.raises(InvalidDocument) as error:
        document_post(document=document, auto_allocate=auto_allocate)
    (problem,) = error.value.problems
    assert problem.line == 1 and "expiration date" in problem.message and "MILK" in problem.message
    assert_nothing_written(document, item)


def test_receipt_of_a_lot_and_serial_item_missing_its_lot_is_refused_naming_the_line(company, warehouse):
    item = serial_item(company, sku="VAX", tracking=Tracking.LOT_AND_SERIAL)
    document, _ = receipt(item, warehouse, 3)
    with pytest.raises(InvalidDocument) as error:
        document_post(document=document, auto_allocate=True)
    (problem,) = error.value.problems
    assert problem.line == 1 and "lot number" in problem.message
    assert_nothing_written(document, item)


@pytest.mark.parametrize(
    "class_fields, what",
    [({"track_expiry": True}, "give the expiration date"), ({"tracking": Tracking.LOT_AND_SERIAL}, "give the lot number")],
    ids=["expiry", "lot"],
)
def test_generate_missing_what_the_numbers_need_says_what_to_give_and_writes_nothing(company, warehouse, class_fields, what):
    item = serial_item(company, **class_fields)
    _, line = receipt(item, warehouse, 3)
    with pytest.raises(InvalidDocument, match=what):
        line_numbers_generate(line=line)
    assert not Allocation.objects.filter(line=line).exists()
    assert number_preview(item=item) == "SN0001"


def test_propose_missing_the_expiry_proposes_nothing_and_save_and_post_refuses(company, warehouse):
    item = serial_item(company, track_expiry=True)
    document, line = receipt(item, warehouse, 3)
    outcome = line_allocate_proposed(line=line)
    assert outcome.accepted == [] and not Allocation.objects.filter(line=line).exists()
    with pytest.raises(InvalidDocument, match="expiration date"):
        document_post(document=document, auto_allocate=True)
    assert_nothing_written(document, item)


def test_scan_missing_the_expiry_is_refused_per_number(company, warehouse):
    item = serial_item(company, track_expiry=True)
    _, line = receipt(item, warehouse, 2)
    outcome = line_allocate(line=line, numbers="A1 A2")
    assert outcome.accepted == [] and {r.reason for r in outcome.rejected} == {"needs an expiration date"}


def test_receipt_batch_size_remainder_is_posted_and_named(company, warehouse):
    item = serial_item(company, track_expiry=True, batch_size=3)
    document, _ = receipt(item, warehouse, 5, expiry=LATER)
    document_post(document=document, auto_allocate=True)
    assert numbers_of(item) == ["SN0001", "SN0002", "SN0003"]
    assert on_hand(item, warehouse, unnumbered=True) == 2
    assert document_unnumbered(document=document) == [(1, item.sku, Decimal(2))]


def test_generate_with_the_dialogs_expiry_leaves_a_batch_size_remainder_that_posts(company, warehouse):
    item = serial_item(company, track_expiry=True, batch_size=3)
    document, line = receipt(item, warehouse, 5)  # the expiry is given in the dialog, not on the line
    outcome = line_numbers_generate(line=line, expiry_date=LATER)
    assert (len(outcome.accepted), outcome.unassigned) == (3, 2)
    document_post(document=document, auto_allocate=True)
    assert on_hand(item, warehouse) == 5 and on_hand(item, warehouse, unnumbered=True) == 2
    assert set(Lot.objects.filter(item=item).values_list("expiry_date", flat=True)) == {LATER}
    assert document_unnumbered(document=document) == [(1, item.sku, Decimal(2))]


def test_work_order_output_missing_the_expiry_is_refused_and_posts_nothing(company, warehouse):
    paint = lot_item(company, sku="PAINT", track_expiry=True)
    screw = screws(company, warehouse)
    work_order = released_work_order(company, warehouse, paint, [(screw, 2)], 5)
    message = refused(work_order_complete, work_order=work_order)
    assert "Line 1" in message and "expiration date" in message
    assert on_hand(screw, warehouse) == 100 and on_hand(paint, warehouse) == 0
    assert not StockMove.objects.filter(document__in=[work_order.consumption_document, work_order.output_document]).exists()


# 5. FIFO by the document's business date --------------------------------------------------------


def dated_receipt(item, location, on, how, number):
    """Receive 10 of a lot item on a receipt dated ``on``; returns the lot it received."""
    document, line = receipt(item, location, 10, date=on, lot_number=number if how == "typed" else "")
    if how == "scan":
        line_allocate(line=line, numbers=number, quantity=Decimal(10))
    elif how == "generate":
        line_numbers_generate(line=line)
    elif how == "propose":
        line_allocate_proposed(line=line)
    document_post(document=document, auto_allocate=True)
    return StockMove.objects.get(document=document).to_lot


@pytest.mark.parametrize("how", ["typed", "scan", "generate", "propose"])
def test_fifo_counts_a_receipt_from_its_date_not_from_when_it_was_posted(company, warehouse, how):
    item = lot_item(company)
    november = dated_receipt(item, warehouse, date(2026, 11, 20), how, "NOV")
    october = dated_receipt(item, warehouse, date(2026, 10, 15), how, "OCT")
    assert timezone.localtime(october.received_at).date() == date(2026, 10, 15)
    assert timezone.localtime(Balance.objects.get(lot=october).first_in_at).date() == date(2026, 10, 15)
    assert timezone.localtime(Balance.objects.get(lot=november).first_in_at).date() == date(2026, 11, 20)
    proposed, line = delivery(item, warehouse, 15)
    line_allocate_proposed(line=line)
    assert list(Allocation.objects.filter(line=line).order_by("id").values_list("lot_id", "quantity")) == [
        (october.pk, Decimal(10)),
        (november.pk, Decimal(5)),
    ]
    document_cancel(document=proposed)  # gives back what the proposal held
    posted, _ = delivery(item, warehouse, 10)
    document_post(document=posted, auto_allocate=True)
    assert list(StockMove.objects.filter(document=posted).values_list("from_lot_id", flat=True)) == [october.pk]


def test_fifo_serials_generated_on_a_dated_receipt_arrive_on_its_date(company, warehouse):
    item = serial_item(company)
    later, _ = receipt(item, warehouse, 1, date=date(2026, 11, 20))
    document_post(document=later, auto_allocate=True)
    earlier, line = receipt(item, warehouse, 1, date=date(2026, 10, 15))
    line_numbers_generate(line=line)
    document_post(document=earlier, auto_allocate=True)
    serial = StockMove.objects.get(document=earlier).to_lot
    assert timezone.localtime(serial.received_at).date() == date(2026, 10, 15)
    _, line = delivery(item, warehouse, 1)
    assert line_allocate_proposed(line=line).accepted == [serial.number]


def test_fifo_work_order_consumes_the_lot_dated_first(company, warehouse):
    resin = lot_item(company, sku="RESIN")
    november = dated_receipt(resin, warehouse, date(2026, 11, 20), "typed", "NOV")
    october = dated_receipt(resin, warehouse, date(2026, 10, 15), "typed", "OCT")
    paint = ItemFactory(company=company, sku="PAINT")
    work_order = released_work_order(company, warehouse, paint, [(resin, 1)], 5)
    work_order_complete(work_order=work_order)
    assert list(StockMove.objects.filter(document=work_order.consumption_document).values_list("from_lot_id", "quantity")) == [
        (october.pk, Decimal(5))
    ]
    assert on_hand(resin, warehouse, november) == 10


# 6. Customer returns take what that customer was delivered ------------------------------------


@pytest.fixture
def customers(company):
    return PartnerFactory(company=company, name="Alder Stores"), PartnerFactory(company=company, name="Birch Retail")


def delivered(item, location, numbers, customer, quantity=None):
    count = quantity if quantity is not None else len(numbers.split())
    document, line = delivery(item, location, count, partner=customer)
    outcome = line_allocate(line=line, numbers=numbers, quantity=None if quantity is None else Decimal(quantity))
    assert not outcome.rejected, outcome.rejected
    return document_post(document=document, auto_allocate=True)


def customer_return(item, location, customer, quantity=1):
    return draft(item, quantity, kind=DocumentKind.CUSTOMER_RETURN, to_location=location, partner=customer)


def test_customer_return_of_what_the_customer_was_delivered_is_accepted(company, warehouse, customers):
    alder, _ = customers
    item = serial_item(company)
    receive(item=item, location=warehouse, numbers="S1 S2")
    delivered(item, warehouse, "S1", alder)
    document, line = customer_return(item, warehouse, alder)
    outcome = line_allocate(line=line, numbers="S1")
    assert outcome.accepted == ["S1"] and not outcome.rejected
    document_post(document=document, auto_allocate=True)
    move = StockMove.objects.get(document=document)
    assert move.unknown_origin is False and on_hand(item, warehouse, move.to_lot) == 1


def test_customer_return_from_another_customer_asks_to_confirm_an_unknown_origin(company, warehouse, customers):
    alder, birch = customers
    item = serial_item(company)
    receive(item=item, location=warehouse, numbers="S1")
    delivered(item, warehouse, "S1", alder)
    document, line = customer_return(item, warehouse, birch)
    (rejected,) = line_allocate(line=line, numbers="S1").rejected
    assert rejected.confirm == "unknown_origin" and "Birch Retail" in rejected.reason
    assert not Allocation.objects.filter(line=line).exists()
    assert line_allocate(line=line, numbers="S1", confirm=True).accepted == ["S1"]
    document_post(document=document, auto_allocate=True)
    move = StockMove.objects.get(document=document)
    assert move.unknown_origin is True and move.to_lot.number == "S1"


def test_customer_return_of_a_number_never_delivered_asks_to_confirm(company, warehouse, customers):
    alder, _ = customers
    item = serial_item(company)
    receive(item=item, location=warehouse, numbers="S2")
    scrapped, line = draft(item, 1, kind=DocumentKind.ADJUSTMENT, from_location=warehouse)
    line_allocate(line=line, numbers="S2")
    document_post(document=scrapped)  # out of stock, never delivered
    document, line = customer_return(item, warehouse, alder, quantity=2)
    outcome = line_allocate(line=line, numbers="S2 ZZ-404")
    assert [(r.number, r.confirm) for r in outcome.rejected] == [("S2", "unknown_origin"), ("ZZ-404", "unknown_origin")]
    assert all("Alder Stores" in r.reason for r in outcome.rejected)
    assert line_allocate(line=line, numbers="S2 ZZ-404", confirm=True).accepted == ["S2", "ZZ-404"]
    document_post(document=document, auto_allocate=True)
    assert set(StockMove.objects.filter(document=document).values_list("to_lot__number", "unknown_origin")) == {
        ("S2", True),
        ("ZZ-404", True),
    }


def test_customer_return_does_not_count_a_reversed_delivery(company, warehouse, customers):
    alder, _ = customers
    item = lot_item(company)
    receive(item=item, location=warehouse, numbers=["LA"], quantity=10)
    document_cancel(document=delivered(item, warehouse, "LA", alder, quantity=4))
    _, line = customer_return(item, warehouse, alder)
    (rejected,) = line_allocate(line=line, numbers="LA", quantity=Decimal(1)).rejected
    assert rejected.confirm == "unknown_origin" and "Alder Stores" in rejected.reason


def test_customer_return_of_more_than_was_delivered_asks_to_confirm(company, warehouse, customers):
    alder, _ = customers
    item = lot_item(company)
    receive(item=item, location=warehouse, numbers=["LA"], quantity=10)
    delivered(item, warehouse, "LA", alder, quantity=4)
    _, line = customer_return(item, warehouse, alder, quantity=5)
    (rejected,) = line_allocate(line=line, numbers="LA", quantity=Decimal(5)).rejected
    assert rejected.confirm == "unknown_origin" and "only 4 delivered to Alder Stores" in rejected.reason
    assert line_allocate(line=line, numbers="LA", quantity=Decimal(4)).accepted == ["LA"]


@pytest.mark.parametrize("kind", [DocumentKind.CUSTOMER_RETURN, DocumentKind.SUPPLIER_RETURN])
def test_return_without_numbers_refuses_save_and_post_and_proposes_nothing(company, warehouse, customers, kind):
    alder, _ = customers
    item = serial_item(company)
    receive(item=item, location=warehouse, numbers="S1 S2")
    delivered(item, warehouse, "S1", alder)
    ends = {"to_location": warehouse} if kind == DocumentKind.CUSTOMER_RETURN else {"from_location": warehouse}
    document, line = draft(item, 1, kind=kind, partner=alder, **ends)
    outcome = line_allocate_proposed(line=line)
    assert outcome.accepted == [] and outcome.note
    with pytest.raises(InvalidDocument) as error:
        document_post(document=document, auto_allocate=True)
    assert [p.line for p in error.value.problems] == [1] and "name what comes back" in str(error.value)
    assert not StockMove.objects.filter(document=document).exists()


# 7. Supplier returns take what came from that supplier ------------------------------------------


@pytest.fixture
def suppliers(company):
    return PartnerFactory(company=company, name="Xylo Mills"), PartnerFactory(company=company, name="Yew Foods")


def supplier_return(item, location, supplier, quantity=5):
    return draft(item, quantity, kind=DocumentKind.SUPPLIER_RETURN, from_location=location, partner=supplier)


def test_supplier_return_takes_a_lot_received_from_that_supplier(company, warehouse, suppliers):
    xylo, _ = suppliers
    item = lot_item(company)
    received, _ = receipt(item, warehouse, 20, lot_number="LX", partner=xylo)
    document_post(document=received, auto_allocate=True)
    document, line = supplier_return(item, warehouse, xylo)
    assert line_allocate(line=line, numbers="LX", quantity=Decimal(5)).accepted == ["LX"]
    document_post(document=document, auto_allocate=True)
    assert on_hand(item, warehouse) == 15


def test_supplier_return_to_another_supplier_names_where_the_lot_came_from(company, warehouse, suppliers):
    xylo, yew = suppliers
    item = lot_item(company)
    received, _ = receipt(item, warehouse, 20, lot_number="LX", partner=xylo)
    document_post(document=received, auto_allocate=True)
    _, line = supplier_return(item, warehouse, yew)
    (rejected,) = line_allocate(line=line, numbers="LX", quantity=Decimal(5)).rejected
    assert rejected.reason == f"came from Xylo Mills ({received.number}), not from Yew Foods"
    assert received.number.startswith("RC-")


def test_supplier_return_refuses_a_lot_adjusted_in(company, warehouse, suppliers):
    xylo, _ = suppliers
    item = lot_item(company)
    found, line = draft(item, 20, kind=DocumentKind.ADJUSTMENT, to_location=warehouse)
    line_allocate(line=line, numbers="ADJ-1", quantity=Decimal(20))
    document_post(document=found)
    _, line = supplier_return(item, warehouse, xylo)
    outcome = line_allocate(line=line, numbers="ADJ-1", quantity=Decimal(5))
    assert outcome.accepted == [] and "not received from a supplier" in outcome.rejected[0].reason


def test_supplier_return_refuses_a_lot_made_in_production(company, warehouse, suppliers):
    xylo, _ = suppliers
    paint = lot_item(company, sku="PAINT")
    work_order = released_work_order(company, warehouse, paint, [(screws(company, warehouse), 2)], 5)
    out_line = work_order.output_document.lines.get()
    document_line_update(line=out_line, item=paint, quantity=out_line.quantity, lot_number="MADE-1")
    work_order_complete(work_order=work_order)
    _, line = supplier_return(paint, warehouse, xylo, quantity=2)
    outcome = line_allocate(line=line, numbers="MADE-1", quantity=Decimal(2))
    assert outcome.accepted == [] and "not received from a supplier" in outcome.rejected[0].reason


# 8. Stock held back is named where a proposal falls short -------------------------------------


def held_flour(company, location):
    item = lot_item(company, track_expiry=True)
    receive(item=item, location=location, numbers=["H1"], quantity=30, expiry=LATER)
    lot_hold(lot=Lot.objects.get(item=item, number="H1"), reason="recall 7")
    return item


def test_propose_names_stock_on_hold(company, warehouse):
    item = held_flour(company, warehouse)
    _, line = delivery(item, warehouse, 5)
    outcome = line_allocate_proposed(line=line)
    assert outcome.accepted == [] and outcome.remaining == 5
    assert "30 on hold (recall 7)" in outcome.note


def test_save_and_post_names_stock_on_hold(company, warehouse):
    item = held_flour(company, warehouse)
    document, _ = delivery(item, warehouse, 5)
    message = refused(document_post, document=document, auto_allocate=True)
    assert "short by 5" in message and "30 on hold (recall 7)" in message
    assert not StockMove.objects.filter(document=document).exists()


def test_scan_names_the_hold(company, warehouse):
    item = held_flour(company, warehouse)
    _, line = delivery(item, warehouse, 5)
    (rejected,) = line_allocate(line=line, numbers="H1", quantity=Decimal(5)).rejected
    assert rejected.reason == "on hold (recall 7)"


def test_propose_and_save_and_post_name_expired_stock(company, warehouse):
    item = lot_item(company, track_expiry=True)
    receive(item=item, location=warehouse, numbers=["OLD"], quantity=12, expiry=TODAY - timedelta(days=1))
    _, line = delivery(item, warehouse, 5)
    assert "12 expired" in line_allocate_proposed(line=line).note
    again, _ = delivery(item, warehouse, 5)
    assert "12 expired" in refused(document_post, document=again, auto_allocate=True)


def test_propose_and_save_and_post_name_stock_promised_to_another_draft(company, warehouse):
    item = lot_item(company)
    receive(item=item, location=warehouse, numbers=["P1"], quantity=30)
    promised, line = delivery(item, warehouse, 30)
    line_allocate(line=line, numbers="P1", quantity=Decimal(30))
    _, line = delivery(item, warehouse, 5)
    assert f"30 promised to {promised.number}" in line_allocate_proposed(line=line).note
    again, _ = delivery(item, warehouse, 5)
    assert f"30 promised to {promised.number}" in refused(document_post, document=again, auto_allocate=True)


def test_unavailable_summary_names_each_reason(company, warehouse):
    item = lot_item(company, track_expiry=True)
    receive(item=item, location=warehouse, numbers=["H1"], quantity=30, expiry=LATER)
    lot_hold(lot=Lot.objects.get(item=item, number="H1"), reason="recall 7")
    receive(item=item, location=warehouse, numbers=["OLD"], quantity=12, expiry=TODAY - timedelta(days=1))
    receive(item=item, location=warehouse, numbers=["P1"], quantity=20, expiry=LATER)
    promised, line = delivery(item, warehouse, 8)
    line_allocate(line=line, numbers="P1", quantity=Decimal(8))
    mine, _ = delivery(item, warehouse, 50)
    assert unavailable_summary(item=item, location=warehouse, document=mine) == (
        f"30 on hold (recall 7), 12 expired, 8 promised to {promised.number}"
    )
    assert unavailable_summary(item=item, location=warehouse, document=promised) == "30 on hold (recall 7), 12 expired"


def test_work_order_completion_names_a_component_on_hold(company, warehouse):
    resin = held_flour(company, warehouse)
    paint = ItemFactory(company=company, sku="PAINT")
    work_order = released_work_order(company, warehouse, paint, [(resin, 1)], 5)
    message = refused(work_order_complete, work_order=work_order)
    assert "30 on hold (recall 7)" in message
    assert not StockMove.objects.filter(document=work_order.consumption_document).exists()
