"""The console's forms validate with the API's input schemas and put each message beside its field."""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict
from ninja import Schema
from pydantic import Field

from backend.console.forms import FormErrors, read_form, shape
from backend.core.errors import Invalid


class Point(Schema):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Phone(Schema):
    number: str = Field(min_length=3)
    label: str = ""


class Sample(Schema):
    name: str = Field(min_length=1, max_length=8)
    born: dt.date | None = None
    point: Point | None = None
    phones: list[Phone] | None = None
    is_minor: bool | None = None


def posted(text: str) -> QueryDict:
    return QueryDict(text, mutable=False)


def test_flat_form_values_become_the_nested_shape_the_schema_expects():
    post = posted(
        "name=a&point.lat=30&point.lon=120&phones.1.number=139&phones.0.number=138&phones.2.number=&csrfmiddlewaretoken=x"
    )
    assert shape(post, checkboxes=["is_minor"]) == {
        "name": "a", "point": {"lat": "30", "lon": "120"},
        "phones": [{"number": "138"}, {"number": "139"}], "is_minor": False,
    }  # fmt: skip


def test_empty_fields_are_left_out_so_the_schema_default_applies():
    payload, errors = read_form(Sample, posted("name=a&born="))
    assert not errors and payload.born is None


def test_an_unchecked_checkbox_is_false_and_a_checked_one_true():
    assert read_form(Sample, posted("name=a"), checkboxes=["is_minor"])[0].is_minor is False
    assert read_form(Sample, posted("name=a&is_minor=on"), checkboxes=["is_minor"])[0].is_minor is True


def test_each_invalid_field_gets_the_api_message_beside_it():
    payload, errors = read_form(
        Sample, posted("name=&born=2024-02-30&point.lat=91&point.lon=1&phones.0.number=1")
    )
    assert payload is None
    assert errors.fields == {
        "name": "必填字段缺失",
        "born": "日期格式应为 YYYY-MM-DD",
        "point.lat": "数值过大",
        "phones.0.number": "长度不足",
    }


def test_a_domain_refusal_naming_a_shown_field_goes_beside_it_and_any_other_on_top():
    errors = FormErrors()
    errors.from_domain(Invalid("身份证号码校验位错误，请核对", {"field": "id_number"}), known=["id_number"])
    errors.from_domain(Invalid("须在执行前签收告知书", {"field": "notice_signed_on"}), known=["id_number"])
    errors.from_domain(Invalid("姓名与证件号码为必填项"))
    assert errors.fields == {"id_number": "身份证号码校验位错误，请核对"}
    assert errors.top == ["须在执行前签收告知书", "姓名与证件号码为必填项"]
