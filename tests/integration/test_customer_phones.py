"""Customers' phone numbers validated with libphonenumber in their country (issue 17.10).

On the real backend, SQLite and PostgreSQL: a number written the national way is stored as
E.164 in the customer's country; an invalid one is a 422 problem naming `phone` and writes
nothing, on create and on PATCH (where the stored locale gives the country).
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.support.backend import LiveBackend


def _create(backend: LiveBackend, **fields: Any) -> httpx.Response:
    body = {"name": f"Phone {secrets.token_hex(4)}", "timezone": "Europe/Berlin", **fields}
    return backend.admin("POST", "/customers", json=body)


def _assert_phone_refused(response: httpx.Response, text: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == ["phone"], problem
    assert text in problem["detail"], problem


def test_a_national_number_is_stored_in_e164_for_the_customer_country(
    backend: LiveBackend,
) -> None:
    created = _create(backend, locale="de_DE", phone="030 1234567")
    assert created.status_code == 201, created.text
    assert created.json()["phone"] == "+49301234567"
    stored = backend.admin("GET", f"/customers/{created.json()['id']}").json()
    assert stored["phone"] == "+49301234567"
    # a bare language: the time zone names the country
    by_zone = _create(backend, locale="es", timezone="Europe/Madrid", phone="612 345 678")
    assert by_zone.status_code == 201, by_zone.text
    assert by_zone.json()["phone"] == "+34612345678"


def test_an_invalid_number_is_a_clear_422_and_writes_nothing(backend: LiveBackend) -> None:
    name = f"Invalid phone {secrets.token_hex(4)}"
    before = backend.admin("GET", "/customers", params={"limit": 1}).json()["total"]
    refused = _create(backend, name=name, locale="de_DE", phone="0300")
    _assert_phone_refused(refused, "'0300' is not a valid number in DE")
    no_country = _create(backend, name=name, locale="en", timezone="UTC", phone="030 1234567")
    _assert_phone_refused(no_country, "no country code")
    assert backend.admin("GET", "/customers", params={"limit": 1}).json()["total"] == before


def test_patch_reads_a_national_number_in_the_stored_country(backend: LiveBackend) -> None:
    customer = _create(backend, locale="es_ES", timezone="Europe/Madrid").json()
    path = f"/customers/{customer['id']}"
    changed = backend.admin("PATCH", path, json={"phone": "612 345 678"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "+34612345678"
    moved = backend.admin("PATCH", path, json={"phone": "030 1234567", "locale": "de_DE"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["phone"] == "+49301234567"
    refused = backend.admin("PATCH", path, json={"phone": "0300"})
    _assert_phone_refused(refused, "not a valid number in DE")
    assert backend.admin("GET", path).json()["phone"] == "+49301234567"
