"""Errors of talking to Label Studio (importable without label-studio-sdk)."""

from __future__ import annotations

from curate.errors import CurateError


class LabelStudioError(CurateError):
    """Label Studio refused a request or could not be reached."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class LabelStudioUnavailable(LabelStudioError):
    """The server could not be reached (down, refusing, timing out)."""
