"""No secret or personal data in logs (OPS-3): a real database error, rendered by our pipeline."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from auth.passwords import hash_password
from server.observability import json_formatter
from tests.accounts import sign_up
from tests.conftest import Api


async def test_a_database_error_logs_no_hash_and_no_email(api: Api, unique_email) -> None:
    email = unique_email("kim.minjun")
    await sign_up(api.client, email)
    password_hash = await hash_password("Some-Secret-Pass-1!")
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("tessera.redaction-test")
    logger.addHandler(handler)
    try:
        with pytest.raises(DBAPIError) as failed:
            async with api.services.db.transaction() as unit:
                session = unit.session
                # An e-mail where an id belongs: asyncpg names the offending value in its error.
                await session.execute(
                    text(
                        "INSERT INTO identity_user (id, email, display_name, password_hash)"
                        " VALUES (:id, :email, 'x', :hash)"
                    ),
                    {"id": email, "email": email, "hash": password_hash},
                )
        # The engine keeps bound values out of the exception text ...
        assert password_hash not in str(failed.value)
        assert "parameters hidden" in str(failed.value)
        assert email in str(failed.value)  # ... but the driver itself repeats the e-mail
        logger.error("insert failed", exc_info=failed.value, extra={"token": "t0ps3cret"})
    finally:
        logger.removeHandler(handler)
    line = json.loads(captured.getvalue().strip().splitlines()[-1])
    rendered = json.dumps(line)
    assert "DBAPIError" in line["exception"]  # the traceback is there, redacted
    assert email not in rendered and email.split("@")[0] not in rendered
    assert password_hash not in rendered and "$argon2" not in rendered
    assert "t0ps3cret" not in rendered
    assert "[redacted-email]" in line["exception"]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        (
            "sha256 legacy 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "9f86d0",
        ),
        ("password='Hunter-2-Hunter!' in repr", "Hunter-2-Hunter!"),
        ('{"newPassword": "Another-Secret-88!"}', "Another-Secret-88!"),
        ("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----", "MIGHAgEAMBMG"),
    ],
)
def test_secret_shapes_are_redacted_in_any_message(text: str, secret: str) -> None:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed: %s", (text,), None)
    assert secret not in json_formatter().format(record)
