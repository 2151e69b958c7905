"""A local stand-in for the part of Stripe's API payrec uses (`POST /v1/checkout/sessions`),
and events signed as Stripe signs them (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret,
"{t}.{payload}")`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.support.backend import LiveBackend

STRIPE_HOOK = "/api/v1/webhooks/stripe"


class StripeStandIn:
    """`POST /v1/checkout/sessions`: a Checkout Session object as Stripe documents it."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, list[str]], dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                outer.requests.append((form, {k.lower(): v for k, v in self.headers.items()}))
                if self.path != "/v1/checkout/sessions":
                    self.send_response(404)
                    self.end_headers()
                    return
                sid = "cs_test_" + secrets.token_hex(8)
                body = {
                    "id": sid,
                    "object": "checkout.session",
                    "mode": "payment",
                    "status": "open",
                    "payment_status": "unpaid",
                    "amount_total": int(form["line_items[0][price_data][unit_amount]"][0]),
                    "currency": form["line_items[0][price_data][currency]"][0],
                    "client_reference_id": form["client_reference_id"][0],
                    "metadata": {"caseId": form["metadata[caseId]"][0]},
                    "payment_intent": None,
                    "url": f"https://checkout.stripe.test/c/pay/{sid}",
                }
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signed_event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    body = {
        "id": event_id or "evt_" + secrets.token_hex(8),
        "object": "event",
        "type": kind,
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


def send_event(
    backend: LiveBackend, payload: bytes, *, secret: str, at: int | None = None
) -> httpx.Response:
    stamp = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return httpx.post(
        backend.base_url + STRIPE_HOOK,
        content=payload,
        headers={"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"},
        timeout=10,
    )
