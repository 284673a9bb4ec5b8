"""Local development tools: the gateway, the embedded PostgreSQL, demo data and `make run`."""
