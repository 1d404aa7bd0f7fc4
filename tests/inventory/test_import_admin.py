"""The admin's import page: preview (counts, first rows, every problem on its row), then confirm;
only the Setup role may import; a confirmation sent twice imports once."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import ImportResult, ImportRun, Location, LocationKind
from inventory.services import membership_add
from tests.inventory.factories import CompanyFactory, UserFactory

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
UPLOAD = reverse("admin:inventory_importrun_upload")


def staff(company, role):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    membership_add(user=user, company=company, is_default=True)
    return user


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def setup_client(client, company):
    client.force_login(staff(company, "Setup"))
    return client


def upload(client, company, kind, content, name="file.csv"):
    return client.post(UPLOAD, {"company": company.pk, "kind": kind, "file": SimpleUploadedFile(name, content, "text/csv")})


def internal(company):
    return Location.objects.filter(company=company, kind=LocationKind.INTERNAL)


def test_preview_shows_counts_and_rows_and_writes_nothing_then_confirm_imports_once(setup_client, company):
    response = upload(setup_client, company, "locations", (SAMPLES / "locations.csv").read_bytes(), "locations.csv")
    assert response.status_code == 200
    page = response.content.decode()
    assert "4 rows: 4 new, 0 changed, 0 unchanged" in page
    assert 'id="import-preview"' in page and "Main warehouse" in page and "WH1-A-01" in page
    assert not internal(company).exists()
    token = response.context["token"]

    done = setup_client.post(UPLOAD, {"confirm": "1", "token": token}, follow=True)
    assert "4 new" in done.content.decode()
    assert sorted(internal(company).values_list("code", flat=True)) == ["SHOP", "WH1", "WH1-A", "WH1-A-01"]
    assert ImportRun.objects.filter(company=company, kind="locations", result=ImportResult.DONE).count() == 1

    again = setup_client.post(UPLOAD, {"confirm": "1", "token": token}, follow=True)
    assert "imported already or has expired" in again.content.decode()
    assert ImportRun.objects.filter(company=company, kind="locations", result=ImportResult.DONE).count() == 1


def test_a_file_with_problems_lists_each_on_its_row_and_offers_no_import(setup_client, company):
    content = b"Code,Name,Parent\nWH1,Main,\nWH2,Second,NOWHERE\nWH1,Again,\n"
    response = upload(setup_client, company, "locations", content)
    page = response.content.decode()
    assert 'id="import-problems"' in page
    assert "no location NOWHERE" in page
    assert "WH1 appears twice in this file, also row 2" in page
    assert 'name="confirm"' not in page
    assert "token" not in response.context
    assert not internal(company).exists()


def test_a_file_of_an_unknown_column_is_refused_naming_it(setup_client, company):
    page = upload(setup_client, company, "partners", b"Code,Name,Colour\nA,Alpha,red\n").content.decode()
    assert "unknown column: Colour" in page


def test_more_rows_than_the_page_takes_points_to_the_command(setup_client, company):
    content = b"Code,Name\n" + b"".join(f"P{i},Partner {i}\n".encode() for i in range(10_001))
    page = upload(setup_client, company, "partners", content).content.decode()
    assert "more than 10,000 rows" in page and "manage.py import_csv" in page


def test_only_the_setup_role_may_import(client, company):
    client.force_login(staff(company, "Viewer"))
    assert client.get(UPLOAD).status_code == 403
    response = upload(client, company, "locations", (SAMPLES / "locations.csv").read_bytes())
    assert response.status_code == 403
    assert not internal(company).exists()
    listing = client.get(reverse("admin:inventory_importrun_changelist"))
    assert listing.status_code == 200
    assert UPLOAD not in listing.content.decode()


def test_a_setup_user_cannot_import_into_a_company_it_is_not_a_member_of(setup_client, company):
    other = CompanyFactory()
    response = upload(setup_client, other, "locations", (SAMPLES / "locations.csv").read_bytes())
    assert response.status_code == 200
    assert "company" in response.context["form"].errors
    assert not internal(other).exists()
