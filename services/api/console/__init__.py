"""The manager console (/console): server-rendered pages over the same numbers as /v1."""
