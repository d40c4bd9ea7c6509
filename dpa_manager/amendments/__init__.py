"""Amendments of the terms: announced to the clients on older versions, each with a notice and a window, and
the agreements moved to the new version on acceptance. Its pages are part of the terms pages (terms.bp)."""
