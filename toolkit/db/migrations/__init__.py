"""Numbered SQL migrations, applied in order; each file is one schema version."""
