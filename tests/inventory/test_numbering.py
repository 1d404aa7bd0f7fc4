from datetime import date
from decimal import Decimal

import pytest

from inventory.exceptions import NumberingError
from inventory.models import Balance, DocumentKind, Lot, Tracking
from inventory.numbering import SegmentSpec, parse_numbers, render_date, template_resolve
from inventory.services import (
    document_create,
    document_line_add,
    document_post,
    line_numbers_generate,
    lot_class_check,
    numbers_generate,
    unassigned_assign,
)
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import on_hand, receive


def test_render_date_formats_day_month_number_month_name_and_years():
    on = date(2026, 3, 7)
    assert render_date("DDMMYY", on) == "070326"
    assert render_date("YYYY-MON-DD", on) == "2026-MAR-07"
    assert render_date("MMYYYY", on) == "032026"


def test_template_puts_constant_date_and_padded_counter_in_order():
    template = template_resolve(
        [SegmentSpec("constant", "SN-"), SegmentSpec("date", "YYMM"), SegmentSpec("counter", "0001"), SegmentSpec("constant", "-X")],
        date(2026, 11, 22),
    )
    assert template.format(7) == "SN-26110007-X"


@pytest.mark.parametrize("segments, count", [([("constant", "SN")], 0), ([("counter", "01"), ("counter", "01")], 2)])
def test_class_without_exactly_one_counter_is_rejected_with_a_clear_message(company, segments, count):
    klass = LotClassFactory(company=company, segments=segments)
    with pytest.raises(NumberingError, match=f"exactly one auto-incremental segment, it has {count}"):
        lot_class_check(lot_class=klass)
    item = ItemFactory(company=company, lot_class=klass)
    with pytest.raises(NumberingError, match="exactly one auto-incremental"):
        numbers_generate(item=item, count=1)


def test_shared_counter_runs_across_the_items_of_the_class(company):
    klass = LotClassFactory(company=company, shared_counter=True)
    first, second = ItemFactory(company=company, lot_class=klass), ItemFactory(company=company, lot_class=klass)
    assert numbers_generate(item=first, count=2).numbers == ["SN0001", "SN0002"]
    assert numbers_generate(item=second, count=2).numbers == ["SN0003", "SN0004"]


def test_per_item_counters_start_at_each_items_own_value(company):
    klass = LotClassFactory(company=company, shared_counter=False, segments=[("constant", "S"), ("counter", "000000")])
    first = ItemFactory(company=company, lot_class=klass, counter_start="100000")
    second = ItemFactory(company=company, lot_class=klass, counter_start="200000")
    assert numbers_generate(item=first, count=2).numbers == ["S100000", "S100001"]
    assert numbers_generate(item=second, count=1).numbers == ["S200000"]
    assert numbers_generate(item=first, count=1).numbers == ["S100002"]


def test_generation_skips_a_number_already_entered_by_hand(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse, numbers="SN0002")
    assert numbers_generate(item=item, count=3).numbers == ["SN0001", "SN0003", "SN0004"]


def test_generation_skips_numbers_pending_on_another_draft(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse, numbers="SN0001 SN0002", post=False)
    assert numbers_generate(item=item, count=2).numbers == ["SN0003", "SN0004"]


def test_batch_size_caps_generation_and_the_excess_stays_unassigned_until_numbered(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=5))
    document = document_create(company=company, kind=DocumentKind.RECEIPT, to_location=warehouse)
    line = document_line_add(document=document, item=item, quantity=Decimal(8))
    outcome = line_numbers_generate(line=line)
    assert len(outcome.accepted) == 5 and outcome.unassigned == 3 and outcome.remaining == 3
    document_post(document=document)
    assert on_hand(item, warehouse) == 8
    assert on_hand(item, warehouse, unnumbered=True) == 3
    unassigned_assign(item=item, location=warehouse, numbers="M-1 M-2 M-3")
    assert on_hand(item, warehouse, unnumbered=True) == 0
    assert Lot.objects.filter(item=item, in_stock=True, last_location=warehouse).count() == 8


def test_numbering_more_than_is_unassigned_is_refused_and_writes_nothing(company, warehouse):
    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company, batch_size=1))
    receive(item=item, location=warehouse, generate=1, quantity=3)
    with pytest.raises(Exception, match="M-3"):
        unassigned_assign(item=item, location=warehouse, numbers="M-1 M-2 M-3")
    assert not Lot.objects.filter(number__startswith="M-").exists()
    assert on_hand(item, warehouse, unnumbered=True) == 2


def test_parse_numbers_splits_lists_and_expands_ranges():
    assert parse_numbers("SN0001-SN0003, X9\nAB-7  2024-001") == ["SN0001", "SN0002", "SN0003", "X9", "AB-7", "2024-001"]
    assert parse_numbers("SN0009-SN0011") == ["SN0009", "SN0010", "SN0011"]
    assert parse_numbers("LOT-5-LOT-3") == ["LOT-5-LOT-3"]  # backwards: not a range
    assert parse_numbers("SN0001-0003") == ["SN0001", "SN0002", "SN0003"]
    assert parse_numbers("HS7-100231 HS7-100231-HS7-100232") == ["HS7-100231", "HS7-100231", "HS7-100232"]


def test_a_list_of_numbers_is_never_read_as_ranges():
    assert parse_numbers(["AB1-3", " HS7-100231 ", ""]) == ["AB1-3", "HS7-100231"]


def test_hyphenated_serials_received_by_range_can_be_issued(company, warehouse):
    from tests.inventory.flows import issue

    item = ItemFactory(company=company, lot_class=LotClassFactory(company=company))
    receive(item=item, location=warehouse, numbers="HS7-100231-HS7-100232")
    issue(item=item, location=warehouse, quantity=1, propose=True)
    issue(item=item, location=warehouse, quantity=1, numbers=["HS7-100232"])
    assert on_hand(item, warehouse) == 0


def test_parse_numbers_refuses_a_huge_range_with_a_message():
    with pytest.raises(NumberingError, match="at most 30000"):
        parse_numbers("A0-A9999999")


def test_lot_class_generates_one_lot_number_for_the_whole_line(company, warehouse):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "LOT"), ("date", "YYMMDD"), ("counter", "01")])
    item = ItemFactory(company=company, lot_class=klass)
    document = receive(item=item, location=warehouse, generate=1, quantity=25)
    lot = Lot.objects.get(item=item)
    assert lot.number == f"LOT{document.date:%y%m%d}01"
    assert Balance.objects.get(item=item, lot=lot).quantity == 25
