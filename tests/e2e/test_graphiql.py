"""GraphiQL works on a machine without internet: every file it needs comes from the platform,
and an operation set in its editor and run with its button, in a real browser (Debian's
chromium, driven by Playwright), reaches the API and shows the answer."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Page, async_playwright

from stand_ins.process import StandIn
from tests.accounts import PASSWORD, login
from tests.catalog.world import World
from tests.conftest import Api
from tests.orders.shop import open_shop

CHROMIUM = shutil.which("chromium")
EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT = ".graphiql-response .CodeMirror"
HEADERS = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"


async def _set_editor(page: Page, selector: str, stored_as: str, text: str) -> None:
    """Set an editor's text and wait until GraphiQL took it (it stores each editor's text,
    after a short debounce, in the same step that parses it): as a person pausing to click."""
    editor = page.locator(selector).first
    await editor.wait_for(timeout=60_000)
    await editor.evaluate("(node, text) => node.CodeMirror.setValue(text)", text)
    await page.wait_for_function(
        "([key, text]) => localStorage.getItem(key) === text", arg=[stored_as, text]
    )


async def _run_in_graphiql(page: Page, operation: str, headers: dict | None = None) -> dict:
    """Set the operation (and headers) in GraphiQL's editors, click run, read the result pane."""
    await page.locator(EDITOR).first.wait_for(timeout=60_000)
    if headers is not None:
        await page.locator("button[data-name=headers]").click()
        await _set_editor(page, HEADERS, "graphiql:headers", json.dumps(headers))
    await _set_editor(page, EDITOR, "graphiql:query", operation)
    await page.locator(".graphiql-execute-button").click()
    await page.wait_for_function(
        "(selector) => { const node = document.querySelector(selector);"
        " return node && node.CodeMirror.getValue().trim().startsWith('{'); }",
        arg=RESULT,
        timeout=60_000,
    )
    return json.loads(
        await page.locator(RESULT).first.evaluate("node => node.CodeMirror.getValue()")
    )


@asynccontextmanager
async def _browser_page(base_url: str, elsewhere: list[str]) -> AsyncIterator[Page]:
    """GraphiQL in headless chromium; `elsewhere` collects requests to any other server."""
    assert CHROMIUM, "no chromium: `make test` installs Debian's package (apt-get install chromium)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            page.on(
                "request",
                lambda request: (
                    None
                    if request.url.startswith(base_url.replace("http", "ws", 1))
                    or request.url.startswith(base_url)
                    else elsewhere.append(request.url)
                ),
            )
            await page.goto(f"{base_url}/graphql")
            yield page
        finally:
            await browser.close()


async def test_graphiql_runs_an_operation_in_a_real_browser(api: Api, unique_email) -> None:
    email = unique_email("graphiql")
    sign_up = (
        f'mutation {{ signUp(input: {{email: "{email}", password: "{PASSWORD}", '
        'displayName: "Gigi"}) { user { email displayName } } }'
    )
    elsewhere: list[str] = []
    async with _browser_page(api.base_url, elsewhere) as page:
        result = await _run_in_graphiql(page, sign_up)
    assert result["data"] == {"signUp": {"user": {"email": email, "displayName": "Gigi"}}}
    assert elsewhere == [], "GraphiQL fetched files from outside the platform"
    assert (await login(api.client, email)).access_token  # the account exists: it really ran


async def test_graphiql_subscribes_over_graphql_ws_with_the_headers_editors_token(
    world: World, payment_provider: StandIn
) -> None:
    """orderUpdates answers the order's status at once: the subscription went over the
    socket, authenticated by the Authorization header typed into GraphiQL."""
    shop = await open_shop(world, payment_provider.url)
    order_id = (await shop.buy(1))["data"]["checkout"]["order"]["id"]
    status = (await shop.settled(order_id))["status"]
    updates = f'subscription {{ orderUpdates(orderId: "{order_id}") {{ id status }} }}'
    elsewhere: list[str] = []
    sockets: list[str] = []
    async with _browser_page(world.api.base_url, elsewhere) as page:
        page.on("websocket", lambda socket: sockets.append(socket.url))
        headers = {"Authorization": f"Bearer {shop.customer.access_token}"}
        result = await _run_in_graphiql(page, updates, headers)
    assert result["data"] == {"orderUpdates": {"id": order_id, "status": status}}
    assert sockets == [world.api.base_url.replace("http", "ws", 1) + "/graphql"]
    assert elsewhere == []
