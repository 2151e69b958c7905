"""A stand-in external identity provider: a JWKS endpoint and the RS256 tokens it vouches for."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

IDP_ISSUER = "https://idp.example.test/realms/payrec"
IDP_AUDIENCE = "payrec-automation"
IDP_KID = "idp-key-1"


class JwksServer:
    """Serves `jwks` on a free local port (as a context manager)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        payload = json.dumps(jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @classmethod
    def for_key(cls, key: rsa.RSAPrivateKey) -> JwksServer:
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": IDP_KID, "use": "sig", "alg": "RS256"})
        return cls({"keys": [jwk]})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def backend_env(self) -> dict[str, str]:
        """The settings that make a backend trust this provider."""
        return {
            "PAYREC_JWKS_URL": self.url,
            "PAYREC_JWKS_ISSUER": IDP_ISSUER,
            "PAYREC_JWKS_AUDIENCE": IDP_AUDIENCE,
        }

    def __enter__(self) -> JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def idp_token(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    """An RS256 token of the provider (`_kid` overrides the key id)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": IDP_ISSUER,
        "aud": IDP_AUDIENCE,
        "sub": "svc-python-scheduler",
        "azp": "python-scheduler",
        "roles": ["AUTOMATION_SERVICE"],
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    kid = claims.pop("_kid", IDP_KID)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
