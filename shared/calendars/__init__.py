"""Calendars: the feed professionals subscribe to, and busy time read from their own calendars."""
