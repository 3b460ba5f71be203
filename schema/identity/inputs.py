"""The identity subgraph's inputs."""

from __future__ import annotations

import strawberry


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str
    locale: str = "en"


@strawberry.input
class LoginInput:
    email: str
    password: str
    device_id: str
    device_name: str = "unknown device"
