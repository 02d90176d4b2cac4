"""Extractors: read submitted files into blocks, then find evidence for observation points."""
