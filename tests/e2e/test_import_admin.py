"""A set-up user imports a file in the admin: upload, preview with its problems, a corrected file,
confirm; the rows are there once."""

from pathlib import Path

from django.contrib.auth.models import Group
from playwright.sync_api import expect

from inventory.models import Location, LocationKind
from inventory.services import membership_add
from tests.e2e import PASSWORD, sign_in
from tests.inventory.factories import UserFactory

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_a_setup_user_previews_a_file_sees_its_problem_then_imports_the_corrected_one(page, company, tmp_path):
    user = UserFactory(username="ada", is_staff=True)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name="Setup"))
    membership_add(user=user, company=company, is_default=True)
    bad = tmp_path / "locations.csv"
    bad.write_text("Code,Name,Parent\nWH1,Main warehouse,\nWH1-A,Aisle A,NOWHERE\n", encoding="utf-8")

    sign_in(page, username="ada", password=PASSWORD)
    page.goto("/admin/inventory/importrun/")
    page.get_by_role("link", name="Import a file").click()
    page.get_by_label("Kind").select_option("locations")
    page.get_by_label("File").set_input_files(str(bad))
    page.get_by_role("button", name="Preview").click()

    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("no location NOWHERE")
    expect(problems.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_role("button", name="Import")).to_have_count(0)

    page.get_by_label("Kind").select_option("locations")
    page.get_by_label("File").set_input_files(str(SAMPLES / "locations.csv"))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="4 rows: 4 new, 0 changed, 0 unchanged")).to_be_visible()
    expect(page.locator("#import-preview tbody tr")).to_have_count(4)
    assert not Location.objects.filter(company=company, kind=LocationKind.INTERNAL).exists()

    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("4 new, 0 changed, 0 unchanged")).to_be_visible()
    codes = sorted(Location.objects.filter(company=company, kind=LocationKind.INTERNAL).values_list("code", flat=True))
    assert codes == ["SHOP", "WH1", "WH1-A", "WH1-A-01"]
