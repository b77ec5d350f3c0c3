"""The one error a document reader raises."""

from __future__ import annotations


class DocError(Exception):
    """A document that cannot be read; the message is the reject reason."""
