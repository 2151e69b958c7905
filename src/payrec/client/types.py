"""The automation API's response shapes, as TypedDicts (camelCase keys, as on the wire).

The clients return these, so the guide's sample code keeps indexing plain dicts while mypy
checks the workers against the backend's contract. Money is :class:`~decimal.Decimal` (the
client parses JSON numbers exactly); timestamps and dates stay ISO strings. Keys a backend
sends only on some answers (embeds, lease fields) are ``NotRequired``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NotRequired, TypedDict, cast

__all__ = [
    "CasePage",
    "CaseSchedule",
    "ClaimedNotifications",
    "CustomerSummary",
    "Document",
    "DocumentPage",
    "HeartbeatsResult",
    "LostLease",
    "Notification",
    "OpenTask",
    "Policy",
    "PolicyStep",
    "RecoveryCase",
    "Reminder",
    "ReminderAttachment",
    "RenderedMessage",
    "RenewedLease",
    "SendWindow",
    "Task",
    "TaskBatchResult",
    "TaskPage",
    "customer_of",
]


class CustomerSummary(TypedDict):
    id: str
    name: str
    email: str | None
    phone: str | None
    timezone: str
    locale: str
    optOutEmail: bool
    optOutSms: bool
    policyId: NotRequired[str | None]
    country: NotRequired[str | None]  # holidays of the customer's country and subdivision
    subdivision: NotRequired[str | None]


class OpenTask(TypedDict):
    """A case's PENDING or IN_PROGRESS task, in its schedule (``include=schedule``)."""

    id: str
    type: str
    status: str
    channel: str | None
    scheduledAt: str


class CaseSchedule(TypedDict):
    stepKeys: list[str]
    stepPlans: NotRequired[dict[str, str | None]]  # step key -> the task's plannedAt
    openTasks: list[OpenTask]
    contacts: dict[str, list[str]]  # channel -> ISO timestamps of the customer's contacts


class RecoveryCase(TypedDict):
    id: str
    customerId: str
    invoiceNumber: str | None
    amount: Decimal
    amountPaid: Decimal
    amountOutstanding: Decimal
    currency: str
    dueDate: str
    status: str
    priority: str
    policyId: str | None
    lastReminderSentAt: str | None
    resolvedAt: NotRequired[str | None]
    createdAt: str
    updatedAt: str
    customer: CustomerSummary
    schedule: NotRequired[CaseSchedule | None]
    pausedUntil: NotRequired[str | None]
    promiseDue: NotRequired[str | None]
    brokenPromise: NotRequired[bool]


class CasePage(TypedDict):
    """``GET /recovery-cases/pending``: a page of open cases and the cursor of the next."""

    cases: list[RecoveryCase]
    total: int
    nextCursor: NotRequired[str | None]


class RenderedMessage(TypedDict):
    """A template rendered for a case's customer (``POST /recovery-cases/{id}/render``)."""

    caseId: str
    templateId: str
    channel: str
    language: str
    locale: str
    subject: str | None
    text: str
    html: str | None
    recipient: str | None
    optedOut: bool
    paymentLink: NotRequired[str]
    unsubscribeUrl: NotRequired[str | None]


class Task(TypedDict):
    id: str
    type: str
    scheduledAt: str
    recoveryCaseId: str | None
    status: str
    metadata: dict[str, Any]
    result: NotRequired[dict[str, Any] | None]
    attempts: int
    maxAttempts: int
    lockedBy: NotRequired[str | None]
    leaseExpiresAt: NotRequired[str | None]
    leaseToken: NotRequired[str | None]
    lastError: NotRequired[str | None]
    dedupeKey: NotRequired[str | None]
    createdAt: str
    updatedAt: str
    completedAt: NotRequired[str | None]
    recoveryCase: NotRequired[RecoveryCase]  # claims with include=["recoveryCase"]
    reminder: NotRequired[Reminder | None]  # claims with include=["reminder"]


class Reminder(TypedDict):
    id: str
    recoveryCaseId: str
    taskId: str | None
    type: str
    templateId: str | None
    scheduledFor: str | None
    recipient: str | None
    metadata: dict[str, Any]
    status: str
    channel: str | None
    sentAt: str | None
    externalId: str | None
    error: str | None
    createdAt: str
    updatedAt: str
    content: NotRequired[RenderedMessage | None]  # created with render: true
    task: NotRequired[Task | None]  # the sent-mark with completeTask
    # claimed e-mail reminders: the case's earlier SENT e-mail reminders, oldest first
    threadReminderIds: NotRequired[list[str]]
    attachment: NotRequired[ReminderAttachment]  # the step's attachInvoice, a PDF uploaded
    attachments: NotRequired[list[ReminderAttachment]]  # invoice and/or letter (attachLetter)


class ReminderAttachment(TypedDict):
    """The case's invoice document a claimed reminder sends along."""

    documentId: str
    fileName: str
    mimeType: str
    size: int


class TaskPage(TypedDict):
    tasks: list[Task]
    total: int
    page: int
    size: int


class TaskBatchResult(TypedDict):
    """``POST /tasks/batch``: the tasks in order; ``created`` false for a kept dedupeKey."""

    tasks: list[Task]
    created: list[bool]


class RenewedLease(TypedDict):
    id: str
    leaseExpiresAt: str


class LostLease(TypedDict):
    id: str
    reason: str  # not-found | stale-lease


class HeartbeatsResult(TypedDict):
    renewed: list[RenewedLease]
    lost: list[LostLease]


class Document(TypedDict):
    id: str
    type: str
    fileName: str
    uploadedAt: str
    downloadUrl: str
    status: str
    failureReason: NotRequired[str | None]
    size: int
    sha256: str
    metadata: dict[str, Any]


class DocumentPage(TypedDict):
    documents: list[Document]
    total: int
    nextCursor: NotRequired[str | None]


class Notification(TypedDict):
    id: str
    recoveryCaseId: str | None
    type: str
    recipient: str
    subject: str | None
    body: str
    priority: str
    scheduledFor: str
    status: str
    sentAt: str | None
    externalId: str | None
    error: str | None
    attempts: int
    leaseToken: NotRequired[str | None]
    leaseExpiresAt: NotRequired[str | None]
    createdAt: str
    updatedAt: str


class ClaimedNotifications(TypedDict):
    notifications: list[Notification]


class PolicyStep(TypedDict):
    offsetDays: int
    channel: str
    templateId: str
    priority: NotRequired[str | None]
    attachInvoice: NotRequired[bool]
    attachLetter: NotRequired[bool]


class SendWindow(TypedDict):
    start: str
    end: str
    weekends: bool


class Policy(TypedDict):
    id: str
    name: str
    steps: list[PolicyStep]
    sendWindow: SendWindow
    businessDaysOnly: bool
    maxContactsPer7Days: int | None
    promiseGraceDays: NotRequired[int]
    maxContactsPer7DaysAllChannels: NotRequired[int | None]
    consolidate: NotRequired[bool]
    shipped: bool
    overridden: NotRequired[bool]
    createdAt: NotRequired[str | None]
    updatedAt: NotRequired[str | None]


def customer_of(case: RecoveryCase) -> CustomerSummary:
    """The case's embedded customer, or an empty one (a case read without it)."""
    return case.get("customer") or cast("CustomerSummary", {})


class WebhookDelivery(TypedDict):
    """A leased outbound webhook delivery: what the worker signs and posts."""

    id: str
    webhookId: str
    type: str
    recoveryCaseId: str | None
    url: str
    secret: str
    body: str
    attempts: int
    leaseToken: str
    allowPrivate: bool


class WebhookDeliveryState(TypedDict):
    id: str
    endpointId: str
    webhookId: str
    type: str
    recoveryCaseId: str | None
    status: str
    attempts: int
    nextAttemptAt: str | None
    lastError: str | None
    createdAt: str
    deliveredAt: str | None


class WebhookDeliveryResult(TypedDict):
    """One attempt's result for ``report_webhook_deliveries``."""

    id: str
    leaseToken: str
    succeeded: bool
    statusCode: NotRequired[int | None]
    latencyMs: NotRequired[int | None]
    error: NotRequired[str | None]
    permanent: NotRequired[bool]


class RecordedWebhookDelivery(TypedDict):
    id: str
    status: str


class StaleWebhookReport(TypedDict):
    id: str
    reason: str  # "stale-lease" | "not-found"


class WebhookDeliveryReports(TypedDict):
    recorded: list[RecordedWebhookDelivery]
    stale: list[StaleWebhookReport]
