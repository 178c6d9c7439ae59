"""Align: agreements and contracts, governance; with their widget forms (``forms``)."""
