"""Catalog: the services a professional offers and the clients they see."""
