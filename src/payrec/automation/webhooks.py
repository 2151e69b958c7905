"""Outbound webhook deliverer: claims due deliveries, signs them (Standard Webhooks), posts.

Each delivery's host is resolved here, every address checked (`domain.webhooks`), and the
request goes to the checked address itself (the `Host` header and TLS SNI keep the name), so
a DNS answer that changes between the check and the connection cannot redirect it. The
backend hands out at most one delivery per case and endpoint at a time, so a batch is posted
in parallel without breaking a case's order; the batch's results go back in one request
(`report_webhook_deliveries`), before the next claim.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from payrec.client import ApiError, AutomationApiClient, WebhookDelivery, WebhookDeliveryResult
from payrec.domain.webhooks import address_refusal

logger = logging.getLogger("payrec.worker.webhooks")

Resolver = Callable[[str, int], list[str]]


class RefusedAddress(Exception):
    """The endpoint's host is, or resolves only to, an address webhooks may not reach."""


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class Target:
    url: str  # with the checked IP address as its host
    host_header: str
    sni_hostname: str | None


def pin_target(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """The URL rewritten to one resolved address that passes the check (or RefusedAddress)."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedAddress(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(host, port)
    except OSError as exc:
        raise RefusedAddress(f"{host} cannot be resolved: {exc}") from exc
    reasons = []
    for address in addresses:
        why = None if allow_private else address_refusal(address)
        if why is None:
            literal = f"[{address}]" if ":" in address else address
            netloc = f"{literal}:{parts.port}" if parts.port else literal
            host_header = parts.netloc.rpartition("@")[2]
            pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
            sni = host if parts.scheme == "https" else None
            return Target(url=pinned, host_header=host_header, sni_hostname=sni)
        reasons.append(f"{address} is {why}")
    raise RefusedAddress(f"{host}: " + ("; ".join(reasons) or "no address"))


class WebhookDeliverer:
    def __init__(
        self,
        client: AutomationApiClient,
        *,
        worker_id: str,
        concurrency: int = 4,
        lease_seconds: int = 60,
        batch: int = 20,
        resolver: Resolver = resolve,
    ) -> None:
        self.api = client
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.batch = batch
        self.resolver = resolver
        self.timeout = max(1.0, min(10.0, lease_seconds / 3))
        self.http = httpx.Client(
            timeout=self.timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=max(4, concurrency * 2)),
            headers={"user-agent": "payrec-webhooks/1"},
        )
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency))

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.http.close()

    def step(self) -> int:
        """Claim a batch, post it in parallel, report its results in one request (those still
        posting when half the lease has gone are reported as each one ends instead)."""
        items = self.api.claim_webhook_deliveries(
            self.worker_id, limit=self.batch, lease_seconds=self.lease_seconds
        )
        if not items:
            return 0
        report_by = time.monotonic() + self.lease_seconds / 2
        results: list[WebhookDeliveryResult] = []
        for future in as_completed([self.pool.submit(self.deliver, item) for item in items]):
            results.append(future.result())
            if time.monotonic() > report_by:
                self._report(results)
                results = []
        if results:
            self._report(results)
        return len(items)

    def _report(self, results: list[WebhookDeliveryResult]) -> None:
        try:
            answer = self.api.report_webhook_deliveries(results)
        except ApiError as exc:
            # the leases run out and the backend counts the attempts: delivered again later
            ids = ", ".join(r["id"] for r in results)
            logger.warning("webhook results %s: backend error %s", ids, type(exc).__name__)
            return
        for stale in answer["stale"]:
            logger.info("webhook delivery %s: %s", stale["id"], stale["reason"])

    def deliver(self, item: WebhookDelivery) -> WebhookDeliveryResult:
        """Post one delivery to the address checked for it; its result, to be reported."""
        result = WebhookDeliveryResult(
            id=item["id"], leaseToken=item["leaseToken"], succeeded=False
        )
        try:
            target = pin_target(
                item["url"], allow_private=item["allowPrivate"], resolver=self.resolver
            )
        except RefusedAddress as exc:
            return result | {"error": f"refused: {exc}", "permanent": True}
        body = item["body"].encode("utf-8")
        now = datetime.now(UTC)
        headers = {
            "host": target.host_header,
            "content-type": "application/json",
            "webhook-id": item["webhookId"],
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(item["secret"]).sign(item["webhookId"], now, body),
        }
        extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
        started = time.monotonic()
        try:
            response = self.http.post(
                target.url, content=body, headers=headers, extensions=extensions
            )
        except httpx.HTTPError as exc:
            result["latencyMs"] = int((time.monotonic() - started) * 1000)
            result["error"] = f"{type(exc).__name__}: {exc}"[:500]
            return result
        result["latencyMs"] = int((time.monotonic() - started) * 1000)
        result["statusCode"] = response.status_code
        result["succeeded"] = 200 <= response.status_code < 300
        if not result["succeeded"]:
            result["error"] = f"HTTP {response.status_code}"
        return result
