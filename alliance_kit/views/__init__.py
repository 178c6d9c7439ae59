"""Views: what pages show. Formatting, charts, documents, shared widgets and the
workbook frame, the report and dashboard view-models."""
