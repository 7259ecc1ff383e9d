"""Rendering results for people: rich tables (CLI), Markdown (report), plotext figures, the
sandbox matrix. Shared by the CLI and the app."""
