"""GraphiQL works on a machine without internet: every file it needs comes from the platform,
and an operation set in its editor and run with its button, in a real browser (Debian's
chromium, driven by Playwright), reaches the API and shows the answer."""

from __future__ import annotations

import json
import shutil

from playwright.async_api import Page, async_playwright

from tests.accounts import PASSWORD, login
from tests.conftest import Api

CHROMIUM = shutil.which("chromium")
EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT = ".graphiql-response .CodeMirror"


async def _run_in_graphiql(page: Page, operation: str) -> dict:
    """Set the operation in the query editor, click run, read the result pane."""
    editor = page.locator(EDITOR).first
    await editor.wait_for(timeout=60_000)
    await editor.evaluate("(node, text) => node.CodeMirror.setValue(text)", operation)
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


async def test_graphiql_runs_an_operation_in_a_real_browser(api: Api, unique_email) -> None:
    assert CHROMIUM, "no chromium: `make test` installs Debian's package (apt-get install chromium)"
    email = unique_email("graphiql")
    sign_up = (
        f'mutation {{ signUp(input: {{email: "{email}", password: "{PASSWORD}", '
        'displayName: "Gigi"}) { user { email displayName } } }'
    )
    elsewhere: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            page.on(
                "request",
                lambda request: (
                    None if request.url.startswith(api.base_url) else elsewhere.append(request.url)
                ),
            )
            await page.goto(f"{api.base_url}/graphql")
            result = await _run_in_graphiql(page, sign_up)
        finally:
            await browser.close()
    assert result["data"] == {"signUp": {"user": {"email": email, "displayName": "Gigi"}}}
    assert elsewhere == [], "GraphiQL fetched files from outside the platform"
    assert (await login(api.client, email)).access_token  # the account exists: it really ran
