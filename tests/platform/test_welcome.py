"""What `make run` prints once the server listens: where to click and how to log in."""

from __future__ import annotations

from core.settings import Settings
from server.demo import DEMO_USERS
from server.serve import welcome


def test_the_demo_welcome_names_graphiql_and_every_demo_account() -> None:
    settings = Settings(demo_password="Demo-Pass-For-Welcome-1!")
    text = welcome(settings, "127.0.0.1", 8000, demo_accounts=True)
    assert "GraphiQL (open in a browser)  http://127.0.0.1:8000/graphql" in text
    assert f"{settings.admin_email} / {settings.admin_password}" in text
    assert "password Demo-Pass-For-Welcome-1!" in text
    assert all(email in text for email, _, _ in DEMO_USERS)


def test_without_demo_data_no_account_is_printed() -> None:
    settings = Settings(introspection=False)
    text = welcome(settings, "0.0.0.0", 9000, demo_accounts=False)
    assert "GraphiQL" not in text and settings.admin_password not in text
    assert "http://0.0.0.0:9000/readyz" in text
