"""Registers and cashiers' sessions: who may sell where, opening a session, closing it with its summary."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from inventory import locks
from inventory.models import PendingNumbers

from ..exceptions import TillError
from ..models import Register, RegisterSession, Sale, SaleKind, SaleStatus, SessionState

ZERO = Decimal("0")
MAX_CASH = Decimal("999999999.99")


def register_allowed(register: Register, user: AbstractBaseUser) -> bool:
    """A cashier sells at the registers that name them; a register naming no one is open to every
    cashier of its company."""
    if not register.is_active or not user.has_perm("pos.use_register"):
        return False
    return not register.cashiers.exists() or register.cashiers.filter(pk=user.pk).exists()


def cash_read(value: object, *, what: str = "amount") -> Decimal:
    """An amount of money as typed: at most two decimals, not negative, bounded."""
    try:
        amount = Decimal(str(value).strip().replace(",", ".")) if value not in (None, "") else ZERO
    except ArithmeticError:
        raise TillError(f"the {what} {str(value)[:20]!r} is not an amount") from None
    if not amount.is_finite() or amount < 0:
        raise TillError(f"the {what} must be zero or more")
    if amount > MAX_CASH:
        raise TillError(f"the {what} is more than {MAX_CASH:,}")
    if amount != amount.quantize(Decimal("0.01")):
        raise TillError(f"the {what} has more than two decimals")
    return amount


@transaction.atomic
def session_open(*, register: Register, user: AbstractBaseUser, opening_cash: object = ZERO) -> RegisterSession:
    """Open a session on the register for ``user``; a register holds one open session at a time."""
    if not register_allowed(register, user):
        raise TillError(f"you may not sell at {register.code}")
    cash = cash_read(opening_cash, what="opening cash")
    open_one = RegisterSession.objects.filter(register=register, state=SessionState.OPEN).select_related("cashier").first()
    if open_one is not None:
        if open_one.cashier_id == user.pk:
            return open_one
        raise TillError(f"{register.code} is open for {open_one.cashier}: they close it first")
    try:
        with transaction.atomic():
            return RegisterSession.objects.create(company=register.company, register=register, cashier=user, opening_cash=cash)
    except IntegrityError:  # another open at the same instant: the database keeps one
        raise TillError(f"{register.code} was opened by someone else just now") from None


@dataclass
class SessionSummary:
    sales: int = 0
    refunds: int = 0
    by_method: dict[str, Decimal] = field(default_factory=dict)  # takings per payment method (refunds subtracted)
    total: Decimal = ZERO
    lines_missing_numbers: int = 0
    quantity_missing_numbers: Decimal = ZERO
    open_carts: int = 0
    expected_cash: Decimal = ZERO


def session_summary(session: RegisterSession) -> SessionSummary:
    """Sales, refunds, totals by payment method, and the lines still missing numbers (a few queries)."""
    summary = SessionSummary()
    done = Sale.objects.filter(session=session, status=SaleStatus.DONE)
    for kind, method, count, total in done.values_list("kind", "payment_method").annotate(n=Count("pk"), total=Sum("total")):
        if kind == SaleKind.SALE:
            summary.sales += count
        else:
            summary.refunds += count
        summary.by_method[method] = summary.by_method.get(method, ZERO) + total
        summary.total += total
    pending = PendingNumbers.objects.filter(document__sale__session=session, is_open=True).aggregate(
        lines=Count("pk"), missing=Sum("quantity") - Sum("assigned") - Sum("released")
    )
    summary.lines_missing_numbers = pending["lines"] or 0
    summary.quantity_missing_numbers = pending["missing"] or ZERO
    summary.open_carts = Sale.objects.filter(session=session, status=SaleStatus.CART).count()
    summary.expected_cash = session.opening_cash + summary.by_method.get("cash", ZERO)
    return summary


@transaction.atomic
def session_close(*, session: RegisterSession, user: AbstractBaseUser, counted_cash: object = None) -> SessionSummary:
    """Close the session: its open carts are cancelled (their reservations freed), the counted cash
    is kept beside the summary."""
    from .cart import cart_cancel

    session = locks.row_lock(RegisterSession.objects.select_related("register"), session.pk)
    if session.state != SessionState.OPEN:
        raise TillError("this session is already closed")
    if session.cashier_id != user.pk and not user.has_perm("pos.change_registersession"):
        raise TillError("only its cashier closes a session")
    counted = cash_read(counted_cash, what="counted cash") if counted_cash not in (None, "") else None
    for sale in Sale.objects.filter(session=session, status=SaleStatus.CART).order_by("pk"):
        cart_cancel(sale=sale)
    session.state = SessionState.CLOSED
    session.closed_at = timezone.now()
    session.counted_cash = counted
    session.save(update_fields=["state", "closed_at", "counted_cash"])
    return session_summary(session)


def open_session_of(user: AbstractBaseUser, company_id: int) -> RegisterSession | None:
    return (
        RegisterSession.objects.filter(company_id=company_id, cashier=user, state=SessionState.OPEN)
        .select_related("register__location", "register__return_location", "register__customer")
        .filter(Q(register__is_active=True))
        .first()
    )
