"""Generating lot/serial numbers from a class's template."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from .. import locks
from ..bulk import filter_in_chunks
from ..exceptions import NumberingError, Problem
from ..models import Allocation, Counter, Item, Lot, LotSerialClass, NumberCheck, NumberSegment
from ..numbering import (
    NumberShape,
    SegmentSpec,
    Template,
    counter_initial,
    pattern_shape,
    template_problems,
    template_resolve,
    template_shape,
)


@dataclass(frozen=True)
class GeneratedNumbers:
    numbers: list[str]
    requested: int

    @property
    def unassigned(self) -> int:
        """What the batch size left without a number; assignable later."""
        return self.requested - len(self.numbers)


def class_segments(lot_class: LotSerialClass) -> list[SegmentSpec]:
    return [SegmentSpec(s.kind, s.value) for s in NumberSegment.objects.filter(lot_class=lot_class).order_by("position", "id")]


def lot_class_check(*, lot_class: LotSerialClass) -> None:
    """Raise NumberingError naming what is wrong with the class's template."""
    problems = template_problems(class_segments(lot_class))
    if problems:
        raise NumberingError([Problem(f"{lot_class.code}: {p.message}") for p in problems])


def number_shape(*, item: Item) -> NumberShape | None:
    """The shape the item's class asks of typed, scanned and imported numbers (None: any number).

    Checked wherever a number is typed, scanned or imported, so a typo never becomes a new
    lot or serial: the template's shape for classes that generate their numbers, or the class's
    pattern for the manufacturer's numbers.
    """
    lot_class = item.lot_class
    if lot_class is None or lot_class.number_check == NumberCheck.NONE:
        return None
    if lot_class.number_check == NumberCheck.PATTERN:
        return pattern_shape(lot_class.number_pattern) if lot_class.number_pattern else None
    own_start = "" if lot_class.shared_counter else item.counter_start
    return template_shape(class_segments(lot_class), own_start, example_on=timezone.localdate())


def numbers_taken(*, item: Item, numbers: list[str]) -> set[str]:
    """Numbers already used for the item, as a lot/serial or pending on a draft."""
    if not numbers:
        return set()
    lots = Lot.objects.filter(company_id=item.company_id, item=item).values_list("number", flat=True)
    taken = set(filter_in_chunks(lots, "number__any", numbers))
    pending = Allocation.objects.reserving().filter(item=item, lot__isnull=True).values_list("number", flat=True)
    taken |= set(filter_in_chunks(pending, "number__any", numbers))
    return taken


@transaction.atomic
def numbers_generate(*, item: Item, count: int, on: date | None = None) -> GeneratedNumbers:
    """Up to the class's batch size of new numbers for ``item``, skipping any already taken.

    The counter row (shared by the class or the item's own) is locked for the transaction,
    so two requests never hand out the same value.
    """
    lot_class = item.lot_class
    if lot_class is None or not item.is_tracked:
        raise NumberingError(Problem(f"{item.sku} is not tracked by lot or serial number"))
    on = on or timezone.localdate()
    segments = class_segments(lot_class)
    own_start = "" if lot_class.shared_counter else item.counter_start
    template: Template = template_resolve(segments, on, own_start)
    wanted = min(max(count, 0), lot_class.batch_size)
    if wanted == 0:
        return GeneratedNumbers([], count)
    key = f"class:{lot_class.pk}" if lot_class.shared_counter else f"item:{item.pk}"
    counter = locks.counter_lock(company_id=item.company_id, key=key, initial=counter_initial(segments, own_start))
    value, numbers = counter.next_value, []
    while len(numbers) < wanted:
        need = wanted - len(numbers)
        candidates = [template.format(v) for v in range(value, value + need)]
        value += need
        if len(candidates[-1]) > Lot._meta.get_field("number").max_length:
            raise NumberingError(Problem(f"{lot_class.code}: generated numbers grew longer than 80 characters"))
        taken = numbers_taken(item=item, numbers=candidates)
        numbers.extend(n for n in candidates if n not in taken)
    counter.next_value = value
    counter.save(update_fields=["next_value"])
    return GeneratedNumbers(numbers, count)


def number_preview(*, item: Item, on: date | None = None, tries: int = 100) -> str:
    """The number ``numbers_generate`` would most likely hand out next, without taking it: a form
    shows it pre-filled. Nothing is locked or written, so a form opened and abandoned wastes no
    number; "" when the item has no template or the next numbers are all taken."""
    lot_class = item.lot_class
    if lot_class is None or not item.is_tracked:
        return ""
    segments = class_segments(lot_class)
    if template_problems(segments):
        return ""
    own_start = "" if lot_class.shared_counter else item.counter_start
    template = template_resolve(segments, on or timezone.localdate(), own_start)
    key = f"class:{lot_class.pk}" if lot_class.shared_counter else f"item:{item.pk}"
    value = Counter.objects.filter(company_id=item.company_id, key=key).values_list("next_value", flat=True).first()
    value = counter_initial(segments, own_start) if value is None else value
    candidates = [template.format(v) for v in range(value, value + tries)]
    taken = numbers_taken(item=item, numbers=candidates)
    return next((n for n in candidates if n not in taken), "")


@transaction.atomic
def document_number_next(*, company_id: int, prefix: str) -> str:
    counter = locks.counter_lock(company_id=company_id, key=f"doc:{prefix}", initial=1)
    number = f"{prefix}-{counter.next_value:06d}"
    counter.next_value += 1
    counter.save(update_fields=["next_value"])
    return number
