"""Optional issuer templates in invoice2data's format (YAML or JSON), an add-on for pinned layouts.

A template has ``issuer``, ``keywords`` (all must match), optional ``exclude_keywords``,
``fields`` (name -> regex, or {parser: regex, regex: ..., value: ...}) and ``options``
(``currency``, ``decimal_separator``, ``date_formats``, ``remove_whitespace``, ``lowercase``).
YAML is read only when PyYAML is installed; JSON always.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .dates import parse_date
from .numbers import parse_amount
from .result import ExtractionResult

TEMPLATE_CONFIDENCE = 0.97
_FIELD_MAP = {
    "invoice_number": "invoiceNumber", "amount": "amount", "amount_due": "amountDue",
    "date": "issueDate", "date_due": "dueDate", "currency": "currency", "issuer": "issuerName",
    "partner_name": "customerName", "customer": "customerName", "customer_name": "customerName",
    "customer_email": "customerEmail",
}


@dataclass(slots=True)
class Template:
    name: str
    issuer: str | None
    keywords: list[str]
    exclude_keywords: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def matches(self, text: str) -> bool:
        if not self.keywords:
            return False
        if not all(re.search(k, text) for k in self.keywords):
            return False
        return not any(re.search(k, text) for k in self.exclude_keywords)


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def template_from_dict(data: dict[str, Any], name: str = "template") -> Template:
    return Template(
        name=name,
        issuer=data.get("issuer"),
        keywords=_as_list(data.get("keywords")),
        exclude_keywords=_as_list(data.get("exclude_keywords")),
        fields=dict(data.get("fields") or {}),
        options=dict(data.get("options") or {}),
    )


def load_templates(directory: str | Path) -> list[Template]:
    """Load *.json (always) and *.yml/*.yaml (when PyYAML is available) from a directory."""
    out: list[Template] = []
    base = Path(directory)
    try:
        import yaml
    except ImportError:  # pragma: no cover - optional
        yaml = None
    for path in sorted(base.rglob("*")):
        suffix = path.suffix.lower()
        try:
            if suffix == ".json":
                data = json.loads(path.read_text(encoding="utf-8"))
            elif suffix in (".yml", ".yaml") and yaml is not None:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            else:
                continue
        except (OSError, ValueError) as exc:
            raise ValueError(f"invalid template {path}: {exc}") from exc
        if isinstance(data, dict):
            out.append(template_from_dict(data, path.stem))
    return out


def _convert(name: str, raw: str, options: dict[str, Any]) -> Any:
    if name.startswith("amount"):
        sep = options.get("decimal_separator")
        return parse_amount(raw, sep if sep in (",", ".") else None)
    if name.startswith("date"):
        for fmt in _as_list(options.get("date_formats")):
            try:
                return datetime.strptime(raw.strip(), fmt).date()
            except ValueError:
                continue
        return parse_date(raw)
    return raw.strip()


def apply_template(tpl: Template, text: str, result: ExtractionResult) -> None:
    """Fill/override fields from a matching template."""
    opts = tpl.options
    if opts.get("remove_whitespace"):
        text = re.sub(r"\s+", "", text)
    if opts.get("lowercase"):
        text = text.lower()
    if tpl.issuer:
        result.set("issuerName", tpl.issuer, TEMPLATE_CONFIDENCE)
    if opts.get("currency"):
        result.set("currency", str(opts["currency"]).upper(), TEMPLATE_CONFIDENCE)
    for name, spec in tpl.fields.items():
        target = _FIELD_MAP.get(name)
        if target is None:
            continue
        if isinstance(spec, dict):
            if "value" in spec:
                result.set(target, _convert(name, str(spec["value"]), opts), TEMPLATE_CONFIDENCE)
                continue
            patterns = _as_list(spec.get("regex"))
        else:
            patterns = _as_list(spec)
        for pat in patterns:
            m = re.search(pat, text)
            if not m:
                continue
            raw = m.group(1) if m.groups() else m.group(0)
            value = _convert(name, raw, opts)
            if value is not None and (not isinstance(value, Decimal | date) or value):
                result.set(target, value, TEMPLATE_CONFIDENCE)
                break


def match_template(templates: list[Template], text: str) -> Template | None:
    for tpl in templates:
        if tpl.matches(text):
            return tpl
    return None
