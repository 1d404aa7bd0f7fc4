"""Many users at once: real threads, each with its own PostgreSQL connection, released together.

Every worker goes through the services. Domain refusals (``InventoryError``) are expected and
counted; any other exception in a thread — an IntegrityError, a deadlock, a bug — fails the test.
"""

import random
import threading
import traceback
from collections import Counter
from contextlib import nullcontext
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum

from inventory.exceptions import InsufficientStock, InventoryError
from inventory.models import Allocation, Balance, DocumentKind, DocumentStatus, Lot, MoveReason, StockMove, Tracking
from inventory.selectors import ledger_verify
from inventory.services import (
    MoveSpec,
    document_cancel,
    document_create,
    document_line_add,
    document_post,
    line_allocate,
    moves_post,
    virtual_location,
)
from tests.inventory.factories import ItemFactory, LotClassFactory
from tests.inventory.flows import receive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JOIN_TIMEOUT = 120


def run_concurrently(workers: int, work) -> list:
    """Run ``work(index, barrier)`` in ``workers`` threads started together; return their results.

    ``work`` may wait on the barrier again to start later rounds together. A thread that raises
    anything fails the test with its traceback; each thread closes its own connection.
    """
    barrier = threading.Barrier(workers)
    results: list = [None] * workers
    crashes: list[str] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = work(index, barrier)
        except BaseException:  # noqa: BLE001 — every crash is reported, none swallowed
            crashes.append(f"worker {index}:\n{traceback.format_exc()}")
            barrier.abort()  # free the others if they wait for a round this one will never reach
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), name=f"worker-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not [t.name for t in threads if t.is_alive()], "workers still running: a lock is never released"
    assert not crashes, "\n".join(crashes)
    return results


@pytest.fixture
def serial_item(company):
    return ItemFactory(company=company, lot_class=LotClassFactory(company=company, tracking=Tracking.SERIAL))


@pytest.fixture
def lot_item(company):
    klass = LotClassFactory(company=company, tracking=Tracking.LOT, segments=[("constant", "L"), ("counter", "001")])
    return ItemFactory(company=company, lot_class=klass)


def _allocate_the_same_numbers_at_once(lines, numbers) -> list[list[str]]:
    """Two workers, one round per number: each enters it on its own draft line at the same moment."""

    def work(index, barrier):
        outcomes = []
        for number in numbers:
            barrier.wait(timeout=60)
            try:
                outcome = line_allocate(line=lines[(index, number)], numbers=[number])
            except InventoryError:
                outcomes.append("raised")
                continue
            outcomes.append("accepted" if outcome.accepted and not outcome.rejected else "rejected")
        return outcomes

    return run_concurrently(2, work)


def _delivery_draft(item, location, quantity):
    document = document_create(company=item.company, kind=DocumentKind.DELIVERY, from_location=location)
    return document, document_line_add(document=document, item=item, quantity=Decimal(quantity))


def test_concurrency_16_workers_never_issue_a_serial_twice(serial_item, warehouse):
    numbers = [f"C{n:03d}" for n in range(1, 101)]
    receive(item=serial_item, location=warehouse, numbers=numbers)

    def work(index, barrier):
        """Deliver random overlapping sets of 10: even workers type the numbers, odd ones let posting pick."""
        rng = random.Random(index)
        delivered, refusals = [], []
        for _ in range(6):
            document, line = _delivery_draft(serial_item, warehouse, 10)
            try:
                if index % 2:
                    document_post(document=document, auto_allocate=True)
                    delivered += StockMove.objects.filter(document=document).values_list("from_lot__number", flat=True)
                    continue
                chosen = rng.sample(numbers, 10)
                outcome = line_allocate(line=line, numbers=chosen)
                if outcome.ok:
                    document_post(document=document)
                    delivered += chosen
                    continue
            except InventoryError as exc:
                refusals.append(exc)
            document_cancel(document=document)  # the draft releases what it reserved
        return delivered, refusals

    results = run_concurrently(16, work)

    caught_by_the_database = [exc for _, refusals in results for exc in refusals if isinstance(exc.__cause__, IntegrityError)]
    assert caught_by_the_database == [], "the services should refuse before the database has to"
    claimed = Counter(number for delivered, _ in results for number in delivered)
    assert [n for n, times in claimed.items() if times > 1] == [], "a serial was delivered by two workers"
    per_lot = StockMove.objects.filter(item=serial_item, reason=MoveReason.DELIVERY).values("from_lot__number").annotate(times=Count("id"))
    assert [r for r in per_lot if r["times"] > 1] == []
    delivered = {r["from_lot__number"] for r in per_lot}
    assert delivered == set(claimed)
    on_hand = Balance.objects.filter(item=serial_item, location=warehouse).aggregate(total=Sum("quantity"))["total"]
    assert len(delivered) + on_hand == 100
    assert not Lot.objects.filter(item=serial_item, number__in=delivered, in_stock=True).exists()
    assert delivered, "no worker managed a delivery: the test proved nothing"
    assert ledger_verify() == []


def test_concurrency_services_composed_in_one_transaction_do_not_deadlock(serial_item, warehouse):
    """A caller (an import, a POS checkout) may run several services in one transaction of its own.

    Half the workers do create → line → allocate → post inside one ``transaction.atomic``, half
    call the same services one by one; every worker delivers serials nobody else wants, so every
    delivery must post — a deadlock or any other error fails the test.
    """
    numbers = [f"K{n:03d}" for n in range(1, 81)]
    receive(item=serial_item, location=warehouse, numbers=numbers)

    def work(index, barrier):
        mine = numbers[index * 10 : index * 10 + 10]
        for number in mine:
            with transaction.atomic() if index % 2 else nullcontext():
                document, line = _delivery_draft(serial_item, warehouse, 1)
                outcome = line_allocate(line=line, numbers=[number])
                assert outcome.ok, outcome.rejected
                document_post(document=document)
        return mine

    results = run_concurrently(8, work)

    assert sorted(n for mine in results for n in mine) == numbers
    assert not Balance.objects.filter(item=serial_item, quantity__gt=0).exists()
    assert ledger_verify() == []


def test_concurrency_20_unit_issues_against_a_lot_of_10(lot_item, warehouse):
    receive(item=lot_item, location=warehouse, numbers=["LOT10"], quantity=10)
    lot = Lot.objects.get(item=lot_item, number="LOT10")
    customer = virtual_location(lot_item.company, "customer")

    def work(index, barrier):
        spec = MoveSpec(
            item=lot_item, quantity=Decimal(1), from_location=warehouse, to_location=customer, from_lot_id=lot.pk, to_lot_id=lot.pk
        )
        try:
            moves_post(company=lot_item.company, specs=[spec], reason=MoveReason.DELIVERY)
        except InsufficientStock as exc:
            return exc
        return "posted"

    results = run_concurrently(20, work)

    refusals = [r for r in results if r != "posted"]
    assert results.count("posted") == 10
    assert len(refusals) == 10
    assert all("short by 1" in str(exc) for exc in refusals), [str(exc) for exc in refusals]
    assert Balance.objects.get(item=lot_item, lot=lot, location=warehouse).quantity == 0
    assert StockMove.objects.filter(item=lot_item, reason=MoveReason.DELIVERY).count() == 10
    assert ledger_verify() == []


def test_concurrency_20_unit_issues_against_10_unnumbered(company, warehouse):
    item = ItemFactory(company=company, lot_class=None)
    receive(item=item, location=warehouse, quantity=10)
    customer = virtual_location(company, "customer")

    def work(index, barrier):
        spec = MoveSpec(item=item, quantity=Decimal(1), from_location=warehouse, to_location=customer)
        try:
            moves_post(company=company, specs=[spec], reason=MoveReason.DELIVERY)
        except InsufficientStock as exc:
            return exc
        return "posted"

    results = run_concurrently(20, work)

    assert results.count("posted") == 10, results
    assert all("short by 1" in str(r) for r in results if r != "posted"), results
    assert Balance.objects.get(item=item, lot__isnull=True, location=warehouse).quantity == 0
    assert ledger_verify() == []


def test_concurrency_20_delivery_documents_against_a_lot_of_10(lot_item, warehouse):
    """The document path: a draft that cannot be allocated is refused, never posted short."""
    receive(item=lot_item, location=warehouse, numbers=["LOT10"], quantity=10)
    lot = Lot.objects.get(item=lot_item, number="LOT10")

    def work(index, barrier):
        document, line = _delivery_draft(lot_item, warehouse, 1)
        try:
            outcome = line_allocate(line=line, numbers=["LOT10"], quantity=Decimal(1))
            document_post(document=document)
        except InventoryError as exc:
            return exc
        return "posted" if outcome.ok else "posted although rejected"

    results = run_concurrently(20, work)

    assert results.count("posted") == 10, results
    assert all(isinstance(r, InventoryError) for r in results if r != "posted"), results
    assert Balance.objects.get(item=lot_item, lot=lot, location=warehouse).quantity == 0
    assert ledger_verify() == []


@pytest.mark.parametrize("one_transaction", [False, True], ids=["allocate-then-post", "in-one-transaction"])
def test_concurrency_two_receipts_create_the_same_serials(serial_item, warehouse, one_transaction):
    rounds = 3

    def work(index, barrier):
        outcomes = []
        for round_ in range(rounds):
            numbers = [f"R{round_}N{n:03d}" for n in range(1, 51)]
            barrier.wait(timeout=60)
            document = document_create(company=serial_item.company, kind=DocumentKind.RECEIPT, to_location=warehouse)
            line = document_line_add(document=document, item=serial_item, quantity=Decimal(50))
            try:
                with transaction.atomic() if one_transaction else nullcontext():
                    outcome = line_allocate(line=line, numbers=numbers)
                    if outcome.rejected:
                        # Posting now would receive the rest unnumbered; a clerk would stop here.
                        outcomes.append(("rejected", outcome.rejected[0].reason))
                        document_cancel(document=document)
                        continue
                    document_post(document=document)
                    outcomes.append(("posted", ""))
            except InventoryError as exc:
                assert not isinstance(exc.__cause__, IntegrityError), f"only the database noticed: {exc}"
                outcomes.append(("raised", str(exc)))
                document_cancel(document=document)  # a draft that will not post releases its numbers
        return outcomes

    results = run_concurrently(2, work)

    for round_ in range(rounds):
        outcomes = [results[worker][round_] for worker in range(2)]
        assert sorted(kind for kind, _ in outcomes) in (["posted", "raised"], ["posted", "rejected"]), outcomes
        numbers = [f"R{round_}N{n:03d}" for n in range(1, 51)]
        per_number = Lot.objects.filter(item=serial_item, number__in=numbers).values("number").annotate(n=Count("id"))
        assert len(per_number) == 50 and all(r["n"] == 1 for r in per_number)
        assert Lot.objects.filter(item=serial_item, number__in=numbers, in_stock=True).count() == 50
    assert Balance.objects.filter(item=serial_item, lot__isnull=True).exclude(quantity=0).count() == 0
    assert StockMove.objects.filter(item=serial_item).count() == 50 * rounds
    assert ledger_verify() == []


def test_concurrency_two_drafts_cannot_promise_the_same_serial(serial_item, warehouse):
    numbers = [f"D{n:03d}" for n in range(1, 21)]
    receive(item=serial_item, location=warehouse, numbers=numbers)
    lines = {(worker, number): _delivery_draft(serial_item, warehouse, 1)[1] for worker in range(2) for number in numbers}

    results = _allocate_the_same_numbers_at_once(lines, numbers)

    for i, number in enumerate(numbers):
        pair = sorted(results[worker][i] for worker in range(2))
        assert pair in (["accepted", "raised"], ["accepted", "rejected"]), f"{number}: {pair}"
    promised = (
        Allocation.objects.filter(document__status=DocumentStatus.DRAFT, lot__number__in=numbers)
        .values("lot__number")
        .annotate(n=Count("id"))
    )
    assert sorted((r["lot__number"], r["n"]) for r in promised) == [(n, 1) for n in numbers]


def test_concurrency_two_receipt_drafts_cannot_both_hold_the_same_new_serial(serial_item, warehouse):
    """A new number entered on one draft receipt is refused on another (seed: no duplicate serials)."""
    numbers = [f"N{n:03d}" for n in range(1, 21)]
    lines = {}
    for worker in range(2):
        for number in numbers:
            document = document_create(company=serial_item.company, kind=DocumentKind.RECEIPT, to_location=warehouse)
            lines[(worker, number)] = document_line_add(document=document, item=serial_item, quantity=Decimal(1))

    results = _allocate_the_same_numbers_at_once(lines, numbers)

    both = [number for i, number in enumerate(numbers) if results[0][i] == results[1][i] == "accepted"]
    assert both == [], f"both drafts hold {both}"
    for i, number in enumerate(numbers):
        assert sorted(results[worker][i] for worker in range(2)) in (["accepted", "raised"], ["accepted", "rejected"]), number
