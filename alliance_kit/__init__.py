"""alliance-kit: keep strategic alliances from failing.

The package holds all the logic; notebooks, reports and dashboards only call it.
"""

__version__ = "0.1.0"
