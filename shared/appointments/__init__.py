"""Appointments: booking by the professional and by clients, requests, token links and the status machine."""
