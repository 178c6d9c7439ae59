"""Succeed: operations, reporting on KPIs, continuous improvement, the lifecycle; with
their widget forms (``forms``)."""
