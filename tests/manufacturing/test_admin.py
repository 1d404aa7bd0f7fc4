"""Bills of materials are set up in the Django admin; work orders are only read there."""

import pytest
from django.urls import reverse

from manufacturing.models import BillOfMaterials, BomLine
from tests.inventory.factories import ItemFactory


def bom_post(item, component, quantity="2"):
    return {
        "item": item.pk,
        "is_kit": "on",
        "is_active": "on",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-position": "1",
        "lines-0-component": component.pk,
        "lines-0-quantity": quantity,
    }


def test_bom_admin_creates_a_kit_with_its_components(admin_client, company):
    kit, part = ItemFactory(company=company, sku="KIT"), ItemFactory(company=company, sku="PART")
    response = admin_client.post(reverse("admin:manufacturing_billofmaterials_add"), bom_post(kit, part))
    assert response.status_code == 302
    bom = BillOfMaterials.objects.get(item=kit)
    assert (bom.company, bom.is_kit, list(BomLine.objects.values_list("component__sku", "quantity"))) == (company, True, [("PART", 2)])


def test_bom_admin_refuses_an_item_as_its_own_component(admin_client, company):
    kit = ItemFactory(company=company, sku="KIT")
    response = admin_client.post(reverse("admin:manufacturing_billofmaterials_add"), bom_post(kit, kit))
    assert response.status_code == 200 and "cannot be a component of itself" in response.text
    assert not BillOfMaterials.objects.exists()


@pytest.mark.parametrize("name", ["billofmaterials", "workorder", "unitgenealogy"])
def test_manufacturing_admin_changelists_open(admin_client, db, name):
    assert admin_client.get(reverse(f"admin:manufacturing_{name}_changelist")).status_code == 200


def test_work_orders_are_not_added_in_the_admin(admin_client, db):
    assert admin_client.get(reverse("admin:manufacturing_workorder_add")).status_code == 403
