"""One exception hierarchy for every domain; mapped once to GraphQL errors (ID-10).

Each error has a stable machine `code`, an optional finer `reason`, an optional
`field` it concerns, and a message in Korean or English chosen per request.
"""

from __future__ import annotations

from typing import ClassVar

MESSAGES: dict[str, dict[str, str]] = {
    "UNAUTHENTICATED": {
        "en": "Please sign in to continue.",
        "ko": "계속하려면 로그인해 주세요.",
    },
    "SESSION_EXPIRED": {
        "en": "Your session expired after a period of inactivity. Please sign in again.",
        "ko": "일정 시간 활동이 없어 세션이 만료되었습니다. 다시 로그인해 주세요.",
    },
    "SESSION_REPLACED": {
        "en": "You were signed out because your account signed in on another device.",
        "ko": "다른 기기에서 로그인하여 현재 세션이 종료되었습니다.",
    },
    "TOKEN_REUSED": {
        "en": "A used sign-in token was presented again; the session was ended for your safety.",
        "ko": "이미 사용된 인증 토큰이 다시 사용되어 안전을 위해 세션을 종료했습니다.",
    },
    "MFA_REQUIRED": {
        "en": "Additional verification is required.",
        "ko": "추가 인증이 필요합니다.",
    },
    "FORBIDDEN": {
        "en": "You do not have permission to do this.",
        "ko": "이 작업을 수행할 권한이 없습니다.",
    },
    "ACCOUNT_LOCKED": {
        "en": "The account is temporarily locked after repeated failed sign-ins. Try again later.",
        "ko": "로그인 실패가 반복되어 계정이 일시적으로 잠겼습니다. 잠시 후 다시 시도해 주세요.",
    },
    "RATE_LIMITED": {
        "en": "Too many attempts. Please wait a moment and try again.",
        "ko": "시도 횟수가 너무 많습니다. 잠시 후 다시 시도해 주세요.",
    },
    "VALIDATION": {
        "en": "The request is not valid.",
        "ko": "요청이 올바르지 않습니다.",
    },
    "CONFLICT": {
        "en": "Someone else changed this first. Reload and try again.",
        "ko": "다른 사용자가 먼저 변경했습니다. 새로 고친 뒤 다시 시도해 주세요.",
    },
    "NOT_FOUND": {
        "en": "The requested item does not exist.",
        "ko": "요청한 항목이 존재하지 않습니다.",
    },
    "UNAVAILABLE": {
        "en": "We are very busy right now. Please try again in a moment.",
        "ko": "요청이 많아 잠시 처리할 수 없습니다. 잠시 후 다시 시도해 주세요.",
    },
    "INTERNAL": {
        "en": "Something went wrong on our side. Please try again.",
        "ko": "서버에서 문제가 발생했습니다. 다시 시도해 주세요.",
    },
}

LANGUAGES = ("en", "ko")


def message_for(code: str, lang: str, detail: str | None = None) -> str:
    text = MESSAGES.get(code, MESSAGES["INTERNAL"]).get(lang) or MESSAGES[code]["en"]
    return f"{text} ({detail})" if detail else text


class DomainError(Exception):
    """Base of every expected failure a client may see."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(
        self,
        detail: str | None = None,
        *,
        reason: str | None = None,
        field: str | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.reason = reason
        self.field = field
        self.extra = extra or {}

    def extensions(self) -> dict[str, object]:
        ext: dict[str, object] = {"code": self.code, **self.extra}
        if self.reason:
            ext["reason"] = self.reason
        if self.field:
            ext["field"] = self.field
        return ext


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class SessionExpired(DomainError):
    code = "SESSION_EXPIRED"


class SessionReplaced(DomainError):
    code = "SESSION_REPLACED"


class TokenReused(DomainError):
    code = "TOKEN_REUSED"


class MfaRequired(DomainError):
    code = "MFA_REQUIRED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class AccountLocked(DomainError):
    code = "ACCOUNT_LOCKED"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


class ValidationFailed(DomainError):
    code = "VALIDATION"


class Conflict(DomainError):
    code = "CONFLICT"


def idempotency_key_reused() -> Conflict:
    return Conflict(
        "this idempotencyKey was already used for a different request",
        reason="IDEMPOTENCY_KEY_REUSED",
        field="idempotencyKey",
    )


class NotFound(DomainError):
    code = "NOT_FOUND"


class Unavailable(DomainError):
    """Not done yet, safe to ask again (with the same idempotency key)."""

    code = "UNAVAILABLE"


# An operator disabled the account: its sessions end with this reason (ID-13).
ACCOUNT_DISABLED = "ACCOUNT_DISABLED"

SESSION_END_ERRORS: dict[str, type[DomainError]] = {
    "SESSION_REPLACED": SessionReplaced,
    "SESSION_EXPIRED": SessionExpired,
    "TOKEN_REUSED": TokenReused,
    "LOGGED_OUT": Unauthenticated,
}


def pick_language(accept_language: str | None) -> str:
    """The first supported language in an Accept-Language header, by q-value."""
    if not accept_language:
        return "en"
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0:
            ranked.append((-quality, index, tag))
    return min(ranked)[2] if ranked else "en"
