"""The collectors' worklist: open cases in the order to work them (API and app alike)."""
