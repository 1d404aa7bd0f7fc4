"""Check that every balance equals the sum of its moves and every tracked serial is where it says."""

from django.core.management.base import BaseCommand, CommandError

from inventory.models import Balance, StockMove
from inventory.selectors import ledger_verify


class Command(BaseCommand):
    help = "Verify the stock ledger: balances against their moves, serials against their balances. Exits 1 on any fault."

    def handle(self, *args, **options):
        faults = ledger_verify()
        if faults:
            for fault in faults:
                self.stderr.write(str(fault))
            raise CommandError(f"ledger has {len(faults)} fault{'s' if len(faults) != 1 else ''}")
        self.stdout.write(self.style.SUCCESS(f"ledger OK: {Balance.objects.count()} balances, {StockMove.objects.count()} moves checked"))
