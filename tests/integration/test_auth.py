"""`whoop auth` with client credentials: a real browser-style sign-in whose code arrives at a loopback
callback, against the sandbox's OAuth server (the same flow as against WHOOP)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import requests

from infra.local import pipeline
from infra.local.errors import WhoopError
from infra.local.sandbox.config import SandboxConfig


def browser_choosing(member: str):
    """What a person does in the browser: open the sign-in page, pick the member, follow the redirect."""

    def browse(url: str) -> None:
        page = requests.get(url, timeout=10)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
        fields = {k: unescape(v) for k, v in fields.items()} | {"member": member}
        base = url.split("/oauth/")[0]
        answer = requests.post(f"{base}/oauth/oauth2/auth", data=fields, allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        requests.get(answer.headers["Location"], timeout=10)  # the browser lands on the loopback callback

    return browse


def credentials(stack):
    config = SandboxConfig(seed=stack.seed)
    return {
        "client_id": config.client_id,
        "client_secret": config.secret,
        "auth_url": f"{stack.sandbox_url}/oauth/oauth2/auth",
        "token_url": f"{stack.sandbox_url}/oauth/oauth2/token",
    }


def test_browser_sign_in_registers_the_member(stack):
    members = pipeline.auth(stack, member="ben", open_browser=browser_choosing("ben"), **credentials(stack))
    assert members == ["ben"]
    conn = pipeline.connect(stack)
    try:
        cur = conn.cursor()
        cur.execute("SELECT STATUS FROM CONFIG.MEMBERS WHERE MEMBER_NAME = 'ben'")
        assert cur.fetchall() == [("ACTIVE",)]
        cur.execute("CALL OPS.INGEST_WHOOP('profile')")
        assert json.loads(cur.fetchone()[0])["by_member"]["ben"]["status"] == "SUCCEEDED"  # the new token works
    finally:
        conn.close()


def test_no_sign_in_times_out_with_one_clear_error(stack):
    with pytest.raises(WhoopError, match="no authorization arrived"):
        pipeline.auth(stack, member="ben", open_browser=lambda url: None, timeout=0.5, **credentials(stack))


def test_forged_callback_state_is_refused(stack):
    def forge(url: str) -> None:
        redirect = re.search(r"redirect_uri=([^&]+)", url).group(1)
        requests.get(requests.utils.unquote(redirect) + "?code=stolen&state=XXXXXXXX", timeout=10)

    with pytest.raises(WhoopError, match="state did not match"):
        pipeline.auth(stack, member="ben", open_browser=forge, timeout=5, **credentials(stack))


def test_partial_credentials_are_refused(stack):
    with pytest.raises(WhoopError, match="--client-id needs"):
        pipeline.auth(stack, member="ben", client_id="x")
