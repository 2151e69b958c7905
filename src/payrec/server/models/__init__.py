"""All tables; importing this module registers them on `Base.metadata`."""

from payrec.server.models.actions import Dispute, Promise
from payrec.server.models.auth import ServiceClient, SigningKey
from payrec.server.models.bank import BankEntry
from payrec.server.models.base import Base
from payrec.server.models.cases import CaseNote, Payment, RecoveryCase
from payrec.server.models.charges import ChargeWaiver, ReferenceRateRow
from payrec.server.models.credits import CustomerCredit
from payrec.server.models.customers import Customer
from payrec.server.models.documents import Document, Extraction
from payrec.server.models.imports import ImportJob
from payrec.server.models.infra import AuditEvent, IdempotencyRecord
from payrec.server.models.messaging import Notification, Reminder
from payrec.server.models.policies import MessageTemplate, Policy
from payrec.server.models.portal import CardPayment, PortalLink, StripeEvent
from payrec.server.models.tasks import Task
from payrec.server.models.users import User, UserSession
from payrec.server.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AuditEvent",
    "BankEntry",
    "Base",
    "CardPayment",
    "CaseNote",
    "ChargeWaiver",
    "Customer",
    "CustomerCredit",
    "Dispute",
    "Document",
    "Extraction",
    "IdempotencyRecord",
    "ImportJob",
    "MessageTemplate",
    "Notification",
    "Payment",
    "Policy",
    "PortalLink",
    "Promise",
    "RecoveryCase",
    "ReferenceRateRow",
    "Reminder",
    "ServiceClient",
    "SigningKey",
    "StripeEvent",
    "Task",
    "User",
    "UserSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
