"""API benchmark: the real backend beside a bare FastAPI endpoint serving the same JSON."""
