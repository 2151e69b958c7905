"""Benchmark of payrec.extraction on the invoice corpus (python -m bench.extraction)."""
