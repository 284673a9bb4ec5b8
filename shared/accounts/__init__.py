"""Accounts: users, professionals, passwords, tokens and settings."""
