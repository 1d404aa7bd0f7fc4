"""Selects written in one pass give the same HTML as Django's own templates, in far fewer steps."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html

from inventory.web.widgets import FastSelectRenderer


class Choices(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Any <kind>"), (1, "A & B"), ("2", 'say "hi"')], required=False)
    grouped = forms.MultipleChoiceField(choices=[("Group", [(1, "one"), (2, "two")]), (3, "three")], required=False)
    typed = forms.TypedChoiceField(
        coerce=int, choices=[(1, "x"), (2, "y")], widget=forms.Select(attrs={"class": "form-select", "data-x": True, "disabled": False})
    )


@pytest.mark.parametrize("data", [{"plain": "1", "grouped": ["2", "3"], "typed": "2"}, {}], ids=["chosen", "unbound-errors"])
@pytest.mark.parametrize("name", ["plain", "grouped", "typed"])
def test_fast_select_renders_what_django_renders(data, name):
    django_html = Choices(data, renderer=DjangoTemplates())[name].as_widget()
    fast_html = Choices(data, renderer=FastSelectRenderer())[name].as_widget()
    assert parse_html(fast_html) == parse_html(django_html)


def test_fast_select_does_not_render_a_template_per_option(settings, django_assert_max_num_queries):
    from unittest import mock

    field = forms.ChoiceField(choices=[(n, f"Customer {n}") for n in range(2000)])
    form = forms.Form(renderer=FastSelectRenderer())
    form.fields["who"] = field
    with mock.patch.object(DjangoTemplates, "render", side_effect=AssertionError("a template per option")):
        html = form["who"].as_widget()
    assert html.count("<option") == 2000
