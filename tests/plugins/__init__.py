"""Plug-ins the tests register the way a contributor would: one module each."""
