"""Shipped letter layout and texts."""
