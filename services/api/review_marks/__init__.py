"""Review work marks (SPEC §11): cause, note and reviewed on lost inquiries and bad reviews."""
