"""The customer page's sentences in en, de, fr, es (its own small catalog: the workspace's
gettext catalogs speak to the team, this page to the customer)."""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "title": {
        "en": "Your open invoices",
        "de": "Ihre offenen Rechnungen",
        "fr": "Vos factures ouvertes",
        "es": "Sus facturas pendientes",
    },
    "from": {"en": "Who is asking", "de": "Absender", "fr": "Expéditeur", "es": "Remitente"},
    "invoice": {"en": "Invoice", "de": "Rechnung", "fr": "Facture", "es": "Factura"},
    "due": {"en": "Due", "de": "Fällig", "fr": "Échéance", "es": "Vencimiento"},
    "outstanding": {"en": "Outstanding", "de": "Offen", "fr": "Restant dû", "es": "Pendiente"},
    "charges": {
        "en": "Late charges",
        "de": "Verzugskosten",
        "fr": "Pénalités de retard",
        "es": "Recargos por demora",
    },
    "total_due": {
        "en": "Total due",
        "de": "Gesamt fällig",
        "fr": "Total dû",
        "es": "Total adeudado",
    },
    "pdf": {
        "en": "Invoice PDF",
        "de": "Rechnung (PDF)",
        "fr": "Facture (PDF)",
        "es": "Factura (PDF)",
    },
    "pay": {
        "en": "Pay by card",
        "de": "Mit Karte bezahlen",
        "fr": "Payer par carte",
        "es": "Pagar con tarjeta",
    },
    "bank": {
        "en": "Pay by bank transfer",
        "de": "Per Überweisung bezahlen",
        "fr": "Payer par virement",
        "es": "Pagar por transferencia",
    },
    "promise": {
        "en": "I will pay on",
        "de": "Ich zahle am",
        "fr": "Je paierai le",
        "es": "Pagaré el",
    },
    "promise_go": {"en": "Tell them", "de": "Mitteilen", "fr": "Envoyer", "es": "Enviar"},
    "dispute": {
        "en": "I do not agree with this invoice",
        "de": "Ich widerspreche der Rechnung",
        "fr": "Je conteste cette facture",
        "es": "No estoy de acuerdo con la factura",
    },
    "reason": {"en": "Reason", "de": "Grund", "fr": "Motif", "es": "Motivo"},
    "paid": {
        "en": "I already paid",
        "de": "Ich habe schon bezahlt",
        "fr": "J'ai déjà payé",
        "es": "Ya he pagado",
    },
    "note": {"en": "Note", "de": "Notiz", "fr": "Note", "es": "Nota"},
    "send": {"en": "Send", "de": "Senden", "fr": "Envoyer", "es": "Enviar"},
    "unsubscribe": {
        "en": "Stop reminders by",
        "de": "Keine Erinnerungen mehr per",
        "fr": "Ne plus recevoir de rappels par",
        "es": "No recibir más avisos por",
    },
    "done": {
        "en": "Thank you: your answer was recorded.",
        "de": "Danke: Ihre Antwort wurde gespeichert.",
        "fr": "Merci : votre réponse a été enregistrée.",
        "es": "Gracias: su respuesta ha quedado registrada.",
    },
    "thanks_paid": {
        "en": "Thank you for your payment.",
        "de": "Danke für Ihre Zahlung.",
        "fr": "Merci pour votre paiement.",
        "es": "Gracias por su pago.",
    },
    "nothing": {
        "en": "Nothing is open.",
        "de": "Nichts ist offen.",
        "fr": "Rien n'est ouvert.",
        "es": "No hay nada pendiente.",
    },
    "invalid": {
        "en": "This link is not valid or has expired.",
        "de": "Dieser Link ist ungültig oder abgelaufen.",
        "fr": "Ce lien n'est pas valide ou a expiré.",
        "es": "Este enlace no es válido o ha caducado.",
    },
    "unsubscribed": {
        "en": "You will no longer receive payment reminders by e-mail.",
        "de": "Sie erhalten keine Zahlungserinnerungen per E-Mail mehr.",
        "fr": "Vous ne recevrez plus de rappels de paiement par e-mail.",
        "es": "Ya no recibirá recordatorios de pago por correo electrónico.",
    },
}
LANGUAGES = ("en", "de", "fr", "es")


def language_of(locale: str | None) -> str:
    code = (locale or "en").replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def texts(language: str) -> dict[str, str]:
    return {key: per.get(language, per["en"]) for key, per in _TEXTS.items()}
