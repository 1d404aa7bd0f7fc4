"""Company set-up: companies with their virtual locations, locations, memberships."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ..exceptions import InvalidSetup
from ..models import Company, Location, LocationKind, Membership

VIRTUAL_NAMES = {
    LocationKind.SUPPLIER: ("SUPPLIER", "Suppliers"),
    LocationKind.CUSTOMER: ("CUSTOMER", "Customers"),
    LocationKind.PRODUCTION: ("PRODUCTION", "Production"),
    LocationKind.ADJUSTMENT: ("ADJUSTMENT", "Inventory adjustment"),
}


@transaction.atomic
def company_create(*, name: str, code: str, tracking_enabled: bool = True) -> Company:
    company = Company.objects.create(name=name, code=code, tracking_enabled=tracking_enabled)
    virtual_locations_ensure(company=company)
    return company


def virtual_locations_ensure(*, company: Company) -> dict[str, Location]:
    """Create the company's Supplier, Customer, Production and Adjustment locations if missing."""
    existing = {loc.kind: loc for loc in Location.objects.filter(company=company).exclude(kind=LocationKind.INTERNAL)}
    for kind, (code, name) in VIRTUAL_NAMES.items():
        if kind not in existing:
            existing[kind] = Location.objects.create(company=company, kind=kind, code=code, name=name)
    return existing


def virtual_location(company: Company, kind: str) -> Location:
    try:
        return Location.objects.get(company=company, kind=kind)
    except Location.DoesNotExist:
        return virtual_locations_ensure(company=company)[kind]


def location_create(*, company: Company, code: str, name: str = "", parent: Location | None = None) -> Location:
    if parent is not None and (parent.company_id != company.pk or parent.is_virtual):
        raise InvalidSetup(f"{parent} cannot be the parent of {code}: it is virtual or of another company")
    if Location.objects.filter(company=company, code=code).exists():
        raise InvalidSetup(f"location code {code} is already used")
    return Location.objects.create(company=company, code=code, name=name or code, parent=parent)


def membership_add(*, user: AbstractBaseUser, company: Company, is_default: bool = False) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, company=company, defaults={"is_default": is_default})
    return membership
