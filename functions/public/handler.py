"""Public function: what clients do without an account (slots, booking, their links), and their pages."""

from shared.http import create_app

from .booking import bp as booking_bp
from .pages import bp as pages_bp
from .slots import bp as slots_bp

app = create_app("public", slots_bp, booking_bp, pages_bp)
