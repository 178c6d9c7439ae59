"""Imagine: strategy and scope, goals and KPIs, the business case; with their widget
forms (``forms``)."""
