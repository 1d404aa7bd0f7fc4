"""Factories for the inventory domain. Companies come with their virtual locations."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from inventory.models import (
    Company,
    IssueMethod,
    Item,
    Location,
    LotSerialClass,
    NumberAssignment,
    NumberSegment,
    Partner,
    SegmentKind,
    Tracking,
    TrackingScope,
)
from inventory.services import virtual_locations_ensure


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Company {n}")
    code = factory.Sequence(lambda n: f"co{n}")
    tracking_enabled = True

    @factory.post_generation
    def virtual_locations(obj, create, extracted, **kwargs):
        if create:
            virtual_locations_ensure(company=obj)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.LazyAttribute(lambda o: o.code)


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Partner {n}")
    is_supplier = True
    is_customer = True


class LotClassFactory(factory.django.DjangoModelFactory):
    """A class with a template of constant prefix + 4-digit counter (override ``segments``)."""

    class Meta:
        model = LotSerialClass
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"CL{n}")
    name = factory.LazyAttribute(lambda o: f"{o.tracking} class")
    tracking = Tracking.SERIAL
    track_expiry = False
    assignment = NumberAssignment.WHEN_RECEIVED
    issue_method = IssueMethod.FIFO
    batch_size = 1000
    shared_counter = True

    @factory.post_generation
    def segments(obj, create, extracted, **kwargs):
        if not create:
            return
        specs = extracted if extracted is not None else [(SegmentKind.CONSTANT, "SN"), (SegmentKind.COUNTER, "0001")]
        for position, (kind, value) in enumerate(specs):
            NumberSegment.objects.create(lot_class=obj, position=position, kind=kind, value=value)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    company = factory.SubFactory(CompanyFactory)
    sku = factory.Sequence(lambda n: f"ITEM{n}")
    name = factory.LazyAttribute(lambda o: f"Item {o.sku}")
    lot_class = None
    tracking_scope = TrackingScope.FULL
    unit_cost = Decimal("10.00")
