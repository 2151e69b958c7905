"""The worklist: open cases in the order to work them, filters and search, in the API and
on the page (the same service)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.backend import LiveBackend, wait_until
from tests.support.workspace import AppClient, assign, completed_step, create_user, time_passes


def _due(days_ago: int) -> str:
    return str(datetime.now(UTC).date() - timedelta(days=days_ago))


def _book(backend: LiveBackend) -> tuple[str, dict[str, Any]]:
    """Cases of customers whose names carry a tag of this test, so the shared backend's other
    cases stay out of the way: answers the tag and the cases by letter."""
    tag = f"wl{secrets.token_hex(4)}"
    first = backend.new_customer(
        name=f"Alpha {tag} GmbH", email=f"ap@{tag}.example", phone="+49 30 5550 1234"
    )
    second = backend.new_customer(
        name=f"Beta {tag} SA", email=f"billing@{tag}-beta.example", phone="+33 1 42 68 53 00"
    )
    cases = {
        "old_small": backend.new_case(
            first["id"], amount="100.00", currency="EUR", dueDate=_due(100)
        ),
        "old_large": backend.new_case(
            second["id"], amount="900.00", currency="EUR", dueDate=_due(120)
        ),
        "recent_huge": backend.new_case(
            first["id"], amount="5000.00", currency="USD", dueDate=_due(10)
        ),
        "not_due": backend.new_case(
            second["id"], amount="9999.00", currency="EUR", dueDate=_due(-20)
        ),
        "call_due": backend.new_case(second["id"], amount="50.00", currency="EUR", dueDate=_due(5)),
        "settled": backend.new_case(first["id"], amount="70.00", currency="EUR", dueDate=_due(200)),
    }
    paid = backend.admin(
        "POST",
        f"/recovery-cases/{cases['settled']['id']}/payments",
        json={"amount": "70.00", "currency": "EUR"},
    )
    assert paid.status_code in (200, 201), paid.text
    call = backend.auto(
        "POST",
        "/tasks",
        json={
            "type": "CALL",
            "scheduledAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "recoveryCaseId": cases["call_due"]["id"],
            "metadata": {"channel": "CALL"},
        },
    )
    assert call.status_code == 201, call.text
    return tag, cases


def _ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def _act(backend: LiveBackend, case_id: str, action: str, body: dict[str, Any]) -> None:
    answer = backend.admin("POST", f"/recovery-cases/{case_id}/{action}", json=body)
    assert answer.status_code in (200, 201), answer.text


def _held(backend: LiveBackend, tag: str) -> dict[str, Any]:
    """Cases a collector's actions hold: a broken promise, a promise due today, one pending
    (promised for next week), a dispute with and without an owner, a pause by hand."""
    customer = backend.new_customer(name=f"Gamma {tag} Ltd", email=f"ar@{tag}-gamma.example")
    held = {
        name: backend.new_case(customer["id"], amount="20.00", currency="EUR", dueDate=_due(3))
        for name in ("broken", "due_today", "pending", "disputed", "disputed_owned", "paused")
    }
    today = datetime.now(UTC).date()
    for name in ("broken", "due_today"):
        _act(backend, held[name]["id"], "promises", {"promisedDate": str(today)})
    _act(backend, held["pending"]["id"], "promises", {"promisedDate": str(today + timedelta(7))})
    for name in ("disputed", "disputed_owned"):
        _act(backend, held[name]["id"], "disputes", {"reason": "WRONG_AMOUNT", "text": "x"})
    _act(
        backend, held["paused"]["id"], "pause", {"until": str(today + timedelta(9)), "reason": "r"}
    )
    time_passes(backend.db_url, held["broken"]["id"])
    wait_until(
        lambda: backend.admin("GET", f"/recovery-cases/{held['broken']['id']}").json()[
            "brokenPromise"
        ],
        timeout=60,
        message="the periodic check breaks the promise",
    )
    return held


def test_worklist_order_manual_task_then_oldest_bucket_then_amount(backend: LiveBackend) -> None:
    tag, cases = _book(backend)
    answer = backend.admin("GET", "/worklist", params={"q": tag})
    order = ["call_due", "old_large", "old_small", "recent_huge", "not_due"]
    assert _ids(answer) == [cases[name]["id"] for name in order]  # the settled case is gone
    body = answer.json()
    assert body["total"] == 5 and body["offset"] == 0 and body["nextCursor"] is None
    first = body["items"][0]
    assert first["reasons"] == ["manual-task-due", "overdue"] and first["daysOverdue"] == 5
    assert '"outstanding":50.00' in answer.text
    assert body["items"][-1]["reasons"] == [] and body["items"][-1]["daysOverdue"] == 0
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):  # limit + nextCursor, as the other lists page
        params = {"q": tag, "limit": 2, **({"cursor": cursor} if cursor else {})}
        paged = backend.admin("GET", "/worklist", params=params)
        seen += _ids(paged)
        cursor = paged.json()["nextCursor"]
        assert paged.json()["total"] == 5
    assert seen == [cases[name]["id"] for name in order] and cursor is None


def test_worklist_filters_status_currency_assignee_and_policy_step(backend: LiveBackend) -> None:
    tag, cases = _book(backend)
    agent = create_user(backend, "AGENT")

    def ids(**params: Any) -> set[str]:
        return set(_ids(backend.admin("GET", "/worklist", params={"q": tag, **params})))

    assert ids(currency="usd") == {cases["recent_huge"]["id"]}
    assert ids(status="PENDING") == {cases["not_due"]["id"]}
    assign(backend.db_url, cases["old_small"]["id"], agent.id)
    assert ids(assignee=agent.id) == {cases["old_small"]["id"]}
    assert (
        cases["old_small"]["id"] not in ids(unassigned="true") and len(ids(unassigned="true")) == 4
    )
    completed_step(backend.db_url, cases["old_large"]["id"], "pol-x", 1)
    assert ids(policyStep=1) == {cases["old_large"]["id"]} and ids(policyStep=0) == set()
    for bad in ({"status": "RESOLVED"}, {"currency": "E1"}, {"limit": 0}, {"cursor": "zz"}):
        refused = backend.admin("GET", "/worklist", params=bad)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


def test_worklist_ranks_broken_promise_then_promise_due_then_disputes_and_hides_held_cases(
    backend: LiveBackend,
) -> None:
    tag, cases = _book(backend)
    held = _held(backend, tag)
    agent = create_user(backend, "AGENT")
    assign(backend.db_url, held["disputed_owned"]["id"], agent.id)
    answer = backend.admin("GET", "/worklist", params={"q": tag})
    ranked = [held[n]["id"] for n in ("broken", "due_today", "disputed", "disputed_owned")]
    ranked += [cases[n]["id"] for n in ("call_due", "old_large", "old_small", "recent_huge")]
    assert _ids(answer) == [*ranked, cases["not_due"]["id"]]  # no pending promise, no pause
    reasons = [item["reasons"] for item in answer.json()["items"]]
    assert reasons[:4] == [
        ["broken-promise", "overdue"],
        ["promise-due", "overdue"],
        ["dispute-waiting", "overdue"],
        ["dispute-waiting", "overdue"],
    ]
    assert [i["status"] for i in answer.json()["items"][:4]] == [
        "OVERDUE",
        "PAUSED",
        "DISPUTED",
        "DISPUTED",
    ]
    paused = _ids(backend.admin("GET", "/worklist", params={"q": tag, "status": "PAUSED"}))
    assert set(paused) == {held[n]["id"] for n in ("due_today", "pending", "paused")}
    french = create_user(backend, "AGENT", language="fr")
    with AppClient(backend) as app:
        app.signed_in_as(french)
        text = app.get("/app/", params={"q": tag}).text
        labels = ["Promesse non tenue", "Promesse à échéance", "Litige en attente"]
        assert [text.index(label) for label in labels] == sorted(text.index(x) for x in labels)
        assert held["pending"]["id"] not in text and held["paused"]["id"] not in text


def test_a_call_task_shows_on_its_collectors_mine_and_to_everyone_when_unassigned(
    backend: LiveBackend,
) -> None:
    tag, cases = _book(backend)
    ann, bob = create_user(backend, "AGENT"), create_user(backend, "AGENT")
    call_id = cases["call_due"]["id"]

    def mine(user_id: str) -> set[str]:
        params = {"q": tag, "assignee": user_id, "unassignedTasks": "true"}
        return set(_ids(backend.admin("GET", "/worklist", params=params)))

    assert mine(ann.id) == {call_id} == mine(bob.id)  # nobody's call is everybody's
    assign(backend.db_url, call_id, bob.id)
    assign(backend.db_url, cases["old_small"]["id"], ann.id)
    assert mine(ann.id) == {cases["old_small"]["id"]} and mine(bob.id) == {call_id}
    with AppClient(backend) as app:
        app.signed_in_as(bob)
        page = app.get("/app/", params={"q": tag, "assigned": "mine"})
        assert "Cases to work (1)" in page.text and f"/app/cases/{call_id}" in page.text
        assert "Call or letter due" in page.text


def test_worklist_search_by_customer_invoice_email_and_phone(backend: LiveBackend) -> None:
    tag, cases = _book(backend)
    agent_headers = {"Authorization": f"Bearer {backend.agent_key}"}

    def found(q: str) -> set[str]:
        answer = backend.http.get(
            f"{backend.base_url}/api/v1/worklist", params={"q": q}, headers=agent_headers
        )
        return set(_ids(answer))

    alpha = {cases[n]["id"] for n in ("old_small", "recent_huge")}
    assert found(f"ALPHA {tag}") == alpha  # the customer's name, any case
    invoice = cases["old_large"]["invoiceNumber"]
    assert found(invoice.lower()) == {cases["old_large"]["id"]}
    assert found(f"{tag}-beta.example") == {
        cases[n]["id"] for n in ("old_large", "not_due", "call_due")
    }
    assert alpha <= found("+49 30 5550 1234") and alpha <= found("5550-1234")
    assert found(f"{tag}%") == set() and found(f"{tag}_") == set()  # wildcards are literal


def test_worklist_page_lists_links_filters_mine_and_opens_a_case(backend: LiveBackend) -> None:
    tag, cases = _book(backend)
    agent = create_user(backend, "AGENT", name="Mona Mine")
    assign(backend.db_url, cases["recent_huge"]["id"], agent.id)
    with AppClient(backend) as app:
        app.signed_in_as(agent)
        page = app.get("/app/", params={"q": tag})
        assert page.status_code == 200
        links = [
            f'href="/app/cases/{cases[n]["id"]}"' for n in ("call_due", "old_large", "old_small")
        ]
        positions = [page.text.index(link) for link in links]
        assert positions == sorted(positions)  # the page keeps the worklist's order
        assert (
            "Cases to work (5)" in page.text
            and "$5,000.00" in page.text
            and "Mona Mine" in page.text
        )
        mine = app.get("/app/", params={"q": tag, "assigned": "mine"})
        assert "Cases to work (2)" in mine.text and cases["recent_huge"]["id"] in mine.text
        assert cases["call_due"]["id"] in mine.text  # nobody's call is everybody's
        partial = app.get(
            "/app/", params={"q": tag}, headers={"HX-Request": "true", "HX-Target": "results"}
        )
        assert partial.text.lstrip().startswith("<h2>") and "<h1>" not in partial.text
        case_id = cases["old_large"]["id"]
        detail = app.get(f"/app/cases/{case_id}")
        assert detail.status_code == 200
        assert (
            cases["old_large"]["invoiceNumber"] in detail.text.split("<h1>", 1)[1].split("</h1>")[0]
        )
        assert 'aria-labelledby="timeline-heading"' in detail.text and "case.created" in detail.text
        assert "€900.00" in detail.text
        assert app.get("/app/cases/case-nope").status_code == 404


def test_pages_speak_the_signed_in_users_language(backend: LiveBackend) -> None:
    tag, cases = _book(backend)
    german = create_user(backend, "AGENT", language="de")
    with AppClient(backend, headers={"Accept-Language": "fr"}) as app:
        assert "<h1>Se connecter</h1>" in app.get("/app/sign-in").text  # before: the browser's
        app.signed_in_as(german)
        page = app.get("/app/", params={"q": tag})
        assert '<html lang="de">' in page.text and "<h1>Arbeitsliste</h1>" in page.text
        assert '<label for="q">Suche</label>' in page.text and ">Abmelden</button>" in page.text
        assert "900,00\xa0€" in page.text and "Anruf oder Brief fällig" in page.text
        detail = app.get(f"/app/cases/{cases['old_large']['id']}")
        assert 'id="timeline-heading">Verlauf</h2>' in detail.text
