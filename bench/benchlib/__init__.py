"""Fleece benchmark harness library (standard library only)."""
