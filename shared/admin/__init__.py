"""Operator administration: professionals (search, counts, activation) and platform statistics."""
