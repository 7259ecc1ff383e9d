"""Measurements: cold start, compute, memory — each interleaving the runtimes it compares."""
