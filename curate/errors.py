"""Errors a user sees. Each carries one clear message and an exit code; the CLI prints
the message without a traceback. Messages never contain record text (it may hold PII)."""

from __future__ import annotations


class CurateError(Exception):
    """An error the user can act on. ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(CurateError):
    """The configuration is invalid: names the file and the key path."""

    exit_code = 2


class InputError(CurateError):
    """An input file or argument cannot be used at all (not a per-row problem: those are
    rejects)."""

    exit_code = 2


class StageError(CurateError):
    """A stage failed; the run folder stays resumable."""

    exit_code = 1


class MissingExtraError(CurateError):
    """An optional dependency is not installed; names the extra that provides it."""

    exit_code = 2

    def __init__(self, module: str, extra: str, what: str):
        super().__init__(
            f"{what} needs the Python package '{module}', which is not installed. "
            f"Install it with: pip install 'curate[{extra}]'"
        )


def require(module: str, extra: str, what: str):
    """Import an optional module or raise :class:`MissingExtraError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised when the extra is absent
        raise MissingExtraError(module, extra, what) from exc
