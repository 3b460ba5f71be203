"""ID-2/ID-7: tokens verify with nothing but the published JWKS; discovery points at it."""

from __future__ import annotations

import jwt

from tests.accounts import new_user
from tests.conftest import Api


async def test_access_token_verifies_with_the_public_jwks_only(api: Api, unique_email) -> None:
    http = api.client.http
    discovery = (await http.get("/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == api.services.settings.issuer
    assert discovery["jwks_uri"].endswith("/.well-known/jwks.json")
    jwks = (await http.get("/.well-known/jwks.json")).json()
    assert all("d" not in key for key in jwks["keys"])  # never the private part
    session = await new_user(api.client, unique_email())
    kid = jwt.get_unverified_header(session.access_token)["kid"]
    key = jwt.PyJWK({k: v for k, v in next(k for k in jwks["keys"] if k["kid"] == kid).items()})
    claims = jwt.decode(
        session.access_token, key.key, algorithms=["ES256"], issuer=discovery["issuer"]
    )
    assert claims["sub"] == session.user_id
    assert claims["sid"] == session.session_id
    assert claims["exp"] - claims["iat"] == api.services.settings.access_token_seconds


async def test_key_rotation_keeps_old_tokens_valid(api: Api, unique_email) -> None:
    session = await new_user(api.client, unique_email())
    old_kid = jwt.get_unverified_header(session.access_token)["kid"]
    new_kid = await api.services.tokens.rotate()
    jwks = (await api.client.http.get("/.well-known/jwks.json")).json()
    assert {old_kid, new_kid} <= {key["kid"] for key in jwks["keys"]}
    await api.client.data("{ me { id } }", token=session.access_token)
    fresh = await new_user(api.client, unique_email())
    assert jwt.get_unverified_header(fresh.access_token)["kid"] == new_kid
