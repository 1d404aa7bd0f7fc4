"""What import_csv and export_csv share: the company named (or the only one) and the progress bar."""

import sys
from contextlib import contextmanager

from django.core.management.base import CommandError

from inventory.models import Company


def company_named(code: str | None) -> Company:
    if code:
        company = Company.objects.filter(code=code).first()
        if company is None:
            known = ", ".join(Company.objects.order_by("code").values_list("code", flat=True)[:20])
            raise CommandError(f"no company {code} (companies: {known or 'none yet'})")
        return company
    companies = list(Company.objects.order_by("code")[:21])
    if len(companies) == 1:
        return companies[0]
    if not companies:
        raise CommandError("there is no company yet: create one in the admin (or make run's demo)")
    codes = ", ".join(c.code for c in companies[:20])
    raise CommandError(f"name the company with --company (one of: {codes})")


@contextmanager
def progress_bar(enabled: bool, *, total: int | None, what: str):
    """A tqdm bar on the terminal (rows per second and time left), or nothing."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit=" rows", unit_scale=True, desc=what, file=sys.stderr, dynamic_ncols=True) as bar:
        yield bar.update
