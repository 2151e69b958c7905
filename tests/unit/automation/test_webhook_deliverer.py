"""The webhooks worker reports a claimed batch's results in one request, and reports them one
by one instead once half the lease has gone (so a slow batch does not outlast its leases)."""

from __future__ import annotations

from typing import Any, cast

from payrec.automation.webhooks import WebhookDeliverer
from payrec.client import AutomationApiClient, WebhookDelivery, WebhookDeliveryResult


class FakeApi:
    def __init__(self, count: int) -> None:
        self.items = [
            cast(WebhookDelivery, {"id": f"whd-{i}", "leaseToken": f"t{i}"}) for i in range(count)
        ]
        self.reports: list[list[str]] = []

    def claim_webhook_deliveries(self, worker_id: str, **_kw: Any) -> list[WebhookDelivery]:
        items, self.items = self.items, []
        return items

    def report_webhook_deliveries(self, results: list[WebhookDeliveryResult]) -> dict[str, Any]:
        self.reports.append([r["id"] for r in results])
        return {"recorded": [{"id": r["id"], "status": "SUCCEEDED"} for r in results], "stale": []}


def _deliverer(api: FakeApi, lease_seconds: int) -> WebhookDeliverer:
    deliverer = WebhookDeliverer(
        cast(AutomationApiClient, api), worker_id="w", lease_seconds=lease_seconds
    )

    def posted(item: WebhookDelivery) -> WebhookDeliveryResult:
        return {"id": item["id"], "leaseToken": item["leaseToken"], "succeeded": True}

    deliverer.deliver = posted  # type: ignore[method-assign]
    return deliverer


def test_a_batch_is_reported_in_one_request() -> None:
    api = FakeApi(5)
    deliverer = _deliverer(api, lease_seconds=60)
    try:
        assert deliverer.step() == 5
        assert deliverer.step() == 0
    finally:
        deliverer.close()
    assert len(api.reports) == 1 and sorted(api.reports[0]) == [f"whd-{i}" for i in range(5)]


def test_past_half_the_lease_each_result_is_reported_as_it_ends() -> None:
    api = FakeApi(3)
    deliverer = _deliverer(api, lease_seconds=0)  # half the lease is gone at once
    try:
        assert deliverer.step() == 3
    finally:
        deliverer.close()
    assert sorted(api.reports) == [["whd-0"], ["whd-1"], ["whd-2"]]
