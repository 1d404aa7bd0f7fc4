"""Factories for manufacturing: bills of materials with their components."""

from decimal import Decimal

import factory

from manufacturing.models import BillOfMaterials, BomLine
from tests.inventory.factories import CompanyFactory, ItemFactory


class BomFactory(factory.django.DjangoModelFactory):
    """A bill for ``item``; pass ``components=[(item, quantity per unit), …]``."""

    class Meta:
        model = BillOfMaterials
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    item = factory.SubFactory(ItemFactory, company=factory.SelfAttribute("..company"))
    is_kit = False

    @factory.post_generation
    def components(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        for position, (component, quantity) in enumerate(extracted, start=1):
            BomLine.objects.create(bom=obj, position=position, component=component, quantity=Decimal(quantity))


class BomLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BomLine

    bom = factory.SubFactory(BomFactory)
    component = factory.SubFactory(ItemFactory, company=factory.SelfAttribute("..bom.company"))
    quantity = Decimal("1")
