"""Notifications: e-mail rendering, calendar invites, MIME assembly and delivery backends."""
