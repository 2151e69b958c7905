"""Client of the payrec automation API (``/api/v1/automation``).

The integration guide's ``AutomationApiClient`` (and an async twin) with retries, idempotency
keys, a circuit breaker, exact-Decimal JSON and one exception class per HTTP status. Imports
nothing from ``payrec.server`` or ``payrec.automation``.
"""

from ._async_client import AsyncAutomationApiClient
from ._client import AutomationApiClient
from .breaker import CircuitBreaker, CircuitState
from .config import Config
from .errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    CircuitOpenError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from .retry import retry_with_backoff
from .types import (
    CasePage,
    CaseSchedule,
    ClaimedNotifications,
    CustomerSummary,
    Document,
    DocumentPage,
    HeartbeatsResult,
    Notification,
    OpenTask,
    Policy,
    RecoveryCase,
    Reminder,
    RenderedMessage,
    Task,
    TaskBatchResult,
    TaskPage,
    WebhookDelivery,
    WebhookDeliveryReports,
    WebhookDeliveryResult,
    WebhookDeliveryState,
)

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiStatusError",
    "ApiTimeoutError",
    "AsyncAutomationApiClient",
    "AuthenticationError",
    "AutomationApiClient",
    "BadRequestError",
    "CasePage",
    "CaseSchedule",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "ClaimedNotifications",
    "Config",
    "ConflictError",
    "CustomerSummary",
    "Document",
    "DocumentPage",
    "HeartbeatsResult",
    "NotFoundError",
    "Notification",
    "OpenTask",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Policy",
    "RateLimitError",
    "RecoveryCase",
    "Reminder",
    "RenderedMessage",
    "ServerError",
    "Task",
    "TaskBatchResult",
    "TaskPage",
    "UnprocessableEntityError",
    "WebhookDelivery",
    "WebhookDeliveryReports",
    "WebhookDeliveryResult",
    "WebhookDeliveryState",
    "retry_with_backoff",
]
