"""The indicator catalogues (YAML), loaded as package data."""
