"""The session's memo of late charges: what one unit of work already computed.

A unit of work (a request, a bank statement's import) asks for the same case's charges
several times: what a payment may cover, whether it settled the case, the case it answers.
The memo keeps, per session, what the computation read (customers' terms, policies' schemes,
the rate table) and each case's result under the case's own state; whatever could change a
result drops it: a flush or a bulk statement touching payments, reminders (sent steps),
waivers, customers, policies or rates, and the end of the transaction (commit or rollback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from payrec.domain.charges.compute import CaseCharges
from payrec.domain.charges.rates import RateTable
from payrec.domain.charges.schemes import LateCharges
from payrec.server.models import ChargeWaiver, Customer, Payment, Policy, ReferenceRateRow, Reminder

__all__ = ["MEMO_CASES", "CaseKey", "Memo", "held", "session_memo"]

_MEMO = "payrec.late_charges"
_CASE_TABLES = frozenset({"payments", "reminders", "charge_waivers"})
_TERM_TABLES = frozenset({"customers", "policies", "reference_rates"})

CaseKey = tuple[Any, ...]
MEMO_CASES = 20_000


@dataclass(slots=True)
class Memo:
    customers: dict[str, tuple[Any, bool, str | None]]
    policies: dict[str, LateCharges | None]
    rates: RateTable | None = None
    charges: dict[str, tuple[CaseKey, CaseCharges]] | None = None

    def forget_terms(self) -> None:
        self.customers.clear()
        self.policies.clear()
        self.rates = None
        self.charges = {}


def session_memo(session: Session) -> Memo:
    memo = session.info.get(_MEMO)
    if memo is None:
        memo = session.info[_MEMO] = Memo({}, {}, None, {})
    assert isinstance(memo, Memo)
    return memo


def held(session: Session) -> bool:
    """Whether this session's unit of work has a memo yet."""
    return session.info.get(_MEMO) is not None


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    memo = session.info.get(_MEMO)
    if memo is None:
        return
    assert memo.charges is not None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Payment | ChargeWaiver | Reminder):
            memo.charges.pop(obj.recovery_case_id, None)
        elif isinstance(obj, Customer | Policy | ReferenceRateRow):
            memo.forget_terms()
            return


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    memo = state.session.info.get(_MEMO)
    if memo is None:
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in _TERM_TABLES:
        memo.forget_terms()
    elif table in _CASE_TABLES:
        memo.charges = {}


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_soft_rollback", _forget)
