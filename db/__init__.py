"""Database tooling: the embedded server, schema management and demo data."""
