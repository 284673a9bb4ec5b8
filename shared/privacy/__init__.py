"""Clients' rights over their data: export what is held about them, erase them, keep records only so long."""
