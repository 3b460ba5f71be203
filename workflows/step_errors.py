"""What a saga step's failure shows to clients: a stable code and a safe message, never the
exception's text (which may hold SQL, parameters or a provider's body); that goes to logs."""

from __future__ import annotations


class StepFailed(Exception):
    """A definitive failure: retrying cannot help (declined, insufficient points, …).

    `code` and `message` are what a client may see: stable, and free of exception text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


TRANSIENT = ("STEP_ERROR", "A temporary error occurred; the step will be retried.")


def public_error(error: BaseException) -> tuple[str, str]:
    """(code, safe message) of a transient error: its own `public_code`/`public_message` if it
    declares them (the payment provider's errors do), else a generic one."""
    code = getattr(error, "public_code", None)
    message = getattr(error, "public_message", None)
    return (code, message) if code and message else TRANSIENT


def loggable(error: BaseException) -> str:
    """What the logs keep of an error: its type, and its text unless that may hold SQL data."""
    if hasattr(error, "statement") and hasattr(error, "orig"):  # a driver error: SQL and values
        return f"{type(error).__name__} ({type(error.orig).__name__})"
    return f"{type(error).__name__}: {error}"[:300]
