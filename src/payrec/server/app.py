"""The backend application: `create_app()` wires settings, database, auth and routers."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import delete, text

from payrec.config import Settings, load_settings
from payrec.server.actor import SYSTEM
from payrec.server.audit.endpoints import router as audit_router
from payrec.server.auth.endpoints import clients_router, oauth_router
from payrec.server.auth.secretbox import secret_box
from payrec.server.auth.tokens import TokenService, TokenSettings
from payrec.server.bank_statements.endpoints import router as bank_statements_router
from payrec.server.card_payments.endpoints import router as stripe_router
from payrec.server.cases import due_check
from payrec.server.cases.action_endpoints import router as case_actions_router
from payrec.server.cases.endpoints import automation_router as cases_automation
from payrec.server.cases.endpoints import management_router as cases_management
from payrec.server.charges.endpoints import router as charges_router
from payrec.server.credits.endpoints import router as credits_router
from payrec.server.customers.endpoints import router as customers_router
from payrec.server.db import Database
from payrec.server.documents.endpoints import automation_router as documents_automation
from payrec.server.documents.endpoints import management_router as documents_management
from payrec.server.exports.endpoints import router as exports_router
from payrec.server.extractions.endpoints import router as extractions_router
from payrec.server.imports import runner as import_runner
from payrec.server.imports.endpoints import router as imports_router
from payrec.server.jsonio import ExactJSONResponse, ExactJSONRoute
from payrec.server.middleware.edge import EdgeMiddleware, Metrics, RouteTemplates
from payrec.server.middleware.problems import install_problem_handlers
from payrec.server.models import IdempotencyRecord
from payrec.server.notifications.endpoints import router as notifications_router
from payrec.server.ops import router as ops_router
from payrec.server.payments.endpoints import reversal_router as payment_reversal_router
from payrec.server.payments.endpoints import router as payments_router
from payrec.server.policies.endpoints import automation_router as policies_automation
from payrec.server.policies.endpoints import router as policies_router
from payrec.server.portal import links as portal_links
from payrec.server.portal.endpoints import router as portal_api_router
from payrec.server.portal.links import PortalConfig
from payrec.server.portal.pages import router as portal_router
from payrec.server.ratelimit import RateLimits
from payrec.server.reminders.endpoints import router as reminders_router
from payrec.server.reports.endpoints import router as reports_router
from payrec.server.routing import PROBLEM_RESPONSES
from payrec.server.state import AppState
from payrec.server.tasks import service as task_service
from payrec.server.tasks.endpoints import router as tasks_router
from payrec.server.tasks.manage import router as manual_tasks_router
from payrec.server.templates import rendering
from payrec.server.templates.endpoints import automation_router as templates_automation
from payrec.server.templates.endpoints import router as templates_router
from payrec.server.users.endpoints import router as users_router
from payrec.server.users.throttle import LimitsThrottle
from payrec.server.web.bank_pages import router as web_bank_router
from payrec.server.web.case_actions import router as web_case_router
from payrec.server.web.customer_pages import router as web_customer_router
from payrec.server.web.import_pages import router as web_import_router
from payrec.server.web.pages import (
    STATIC_DIR,
    PasswordChangeRequired,
    SignInRequired,
    password_redirect,
    sign_in_redirect,
)
from payrec.server.web.profile import router as web_profile_router
from payrec.server.web.rates_pages import router as web_rates_router
from payrec.server.web.report_pages import router as web_reports_router
from payrec.server.web.review_pages import router as web_review_router
from payrec.server.web.routes import router as web_router
from payrec.server.web.settings_content import router as web_settings_content_router
from payrec.server.web.settings_pages import router as web_settings_router
from payrec.server.web.signin import router as signin_router
from payrec.server.web.webhook_pages import router as web_webhook_router
from payrec.server.webhook_endpoints.endpoints import automation_router as deliveries_automation
from payrec.server.webhook_endpoints.endpoints import router as webhook_endpoints_router
from payrec.server.webhooks.endpoints import router as webhooks_router
from payrec.server.worklist.endpoints import router as worklist_router

logger = logging.getLogger("payrec.server")
ANALYZE_SECONDS = 30 * 60


def _automation_router() -> APIRouter:
    router = APIRouter(
        prefix="/api/v1/automation", route_class=ExactJSONRoute, responses=PROBLEM_RESPONSES
    )
    for sub in (
        tasks_router,
        cases_automation,
        reminders_router,
        documents_automation,
        extractions_router,
        notifications_router,
        policies_automation,
        templates_automation,
        deliveries_automation,
    ):
        router.include_router(sub)
    return router


def _management_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", route_class=ExactJSONRoute, responses=PROBLEM_RESPONSES)
    for sub in (
        customers_router,
        credits_router,
        charges_router,
        cases_management,
        case_actions_router,
        payments_router,
        payment_reversal_router,
        bank_statements_router,
        imports_router,
        exports_router,
        documents_management,
        clients_router,
        audit_router,
        policies_router,
        templates_router,
        reports_router,
        webhooks_router,
        webhook_endpoints_router,
        stripe_router,
        portal_api_router,
        users_router,
        worklist_router,
        manual_tasks_router,
    ):
        router.include_router(sub)
    return router


class Sweeper:
    """Returns expired leases to the queue, settles due promises and ended pauses
    (`cases.due_check`) and drops expired idempotency keys, periodically."""

    def __init__(self, state: AppState) -> None:
        self._state = state
        self._next_analyze = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payrec-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._state.settings.sweep_seconds):
            try:
                self.sweep()
            except Exception as exc:  # the database may be briefly down
                logger.warning("sweep skipped: %s", type(exc).__name__)

    def sweep(self) -> None:
        now = datetime.now(UTC)
        with self._state.db.write() as session:
            task_service.expire_leases(session, now=now, actor=SYSTEM)
        due_check.run(self._state.db, now)
        import_runner.resume_stalled(self._state.db)
        import_runner.sweep_files(self._state.db, self._state.settings.import_file_retention_hours)
        with self._state.db.write() as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
        if self._state.db.is_sqlite and time.monotonic() >= self._next_analyze:
            # SQLite's planner needs fresh statistics to walk the queue indexes in order
            # (PostgreSQL's autovacuum keeps its own).
            self._next_analyze = time.monotonic() + ANALYZE_SECONDS
            with self._state.db.write() as session:
                session.execute(text("ANALYZE"))


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    db = database or Database(settings.database_url, pool_size=settings.db_pool_size)
    rendering.configure(db.session_info, settings.creditor, settings.team_language)
    portal_links.configure(
        db.session_info,
        PortalConfig(
            settings.public_url or f"http://{settings.host}:{settings.port}",
            settings.portal_link_days,
        ),
    )
    if not settings.creditor_name.strip():
        logger.warning("PAYREC_CREDITOR_NAME is not set: reminders are signed by nobody")
    tokens = TokenService(
        db,
        TokenSettings(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_seconds=settings.jwt_ttl_seconds,
            jwks_url=settings.jwks_url,
            jwks_issuer=settings.jwks_issuer,
            jwks_audience=settings.jwks_audience,
        ),
        lambda: secret_box(settings),
    )
    state = AppState(
        settings=settings,
        db=db,
        tokens=tokens,
        limiter=RateLimits.from_settings(settings),
        signin_throttle=LimitsThrottle(
            settings.signin_account_limit,
            settings.signin_address_limit,
            settings.redis_url or "memory://",
            prefix=settings.redis_prefix,
        ),
    )
    sweeper = Sweeper(state)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tokens.load()
        sweeper.start()
        gc.collect()
        gc.freeze()  # start-up objects (routes, schemas, models) stay out of every collection
        try:
            yield
        finally:
            sweeper.stop()
            db.dispose()

    app = FastAPI(
        title="payrec",
        version="0.1.0",
        summary="Payment recovery: automation API for workers, management API for people.",
        default_response_class=ExactJSONResponse,
        lifespan=lifespan,
    )
    app.state.payrec = state
    metrics = Metrics()
    app.state.metrics = metrics
    install_problem_handlers(app)
    app.include_router(ops_router)
    app.include_router(oauth_router)
    # Starlette tries the routes in turn, each path against each pattern: the workers' paths
    # first, then the pages people wait on, then the management API's hundred routes (no
    # path of one group matches a pattern of another, so the order changes no answer).
    app.include_router(_automation_router())
    app.include_router(signin_router)
    app.include_router(web_router)
    app.include_router(web_case_router)
    app.include_router(web_customer_router)
    app.include_router(web_review_router)
    app.include_router(web_bank_router)
    app.include_router(web_reports_router)
    app.include_router(web_settings_router)
    app.include_router(web_settings_content_router)
    app.include_router(web_import_router)
    app.include_router(web_webhook_router)
    app.include_router(web_rates_router)
    app.include_router(web_profile_router)
    app.include_router(portal_router)
    app.mount("/app/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(_management_router())
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    app.add_exception_handler(PasswordChangeRequired, password_redirect)
    app.add_middleware(
        EdgeMiddleware,
        max_json=settings.max_json_bytes,
        max_upload=settings.max_upload_bytes,
        metrics=metrics,
        routes=RouteTemplates(lambda: list(app.openapi()["paths"])),
    )
    return app
