"""Exports of cases, payments, reminders sent and the audit trail as CSV and XLSX."""
