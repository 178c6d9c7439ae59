"""Records: the data model, the store (SQLite or PostgreSQL) and its migrations,
validation, intake and export, snapshots, the change history and the sample portfolio.
The lowest layer: it imports nothing else of alliance_kit but ``config``."""
