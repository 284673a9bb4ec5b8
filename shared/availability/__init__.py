"""Availability: weekly and one-off blocks, time off, and the slot engine that turns them into slots."""
