"""One module per entity; each function runs one named query (or one transaction)."""
