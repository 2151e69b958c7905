"""Automation services: they hold no state and reach the backend only through `payrec.client`."""
