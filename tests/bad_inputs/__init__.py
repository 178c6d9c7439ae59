"""A small hand-built valid portfolio and helpers to write it (or a broken copy) to files."""
