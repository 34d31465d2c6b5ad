"""Ingest: validate, dedupe and store raw events; forward them; dead-letter the rest."""
