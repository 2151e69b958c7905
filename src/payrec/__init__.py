"""payrec: payment recovery — cases, dunning, reminders, invoice extraction, payments."""

__version__ = "0.1.0"
