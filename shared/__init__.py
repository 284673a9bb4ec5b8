"""Agenda's shared package: configuration, data access and domain services used by every function."""
