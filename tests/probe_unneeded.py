"""Imported by a test stage to show whether a worker could import it."""
