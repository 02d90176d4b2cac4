"""Word templates (docxtpl) and the scripts that build them, loaded as package data."""
