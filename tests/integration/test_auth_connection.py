"""`whoop -c NAME auth` (issue 14 item 1): a real member's sign-in through the installed app's Snowflake-managed OAuth,
over a named connection. The connection names the local stack (test_connection's connections.toml), so the CLI
runs the code a real account gets: CONNECT_MEMBER_OAUTH, START_MEMBER_OAUTH and FINISH_MEMBER_OAUTH in one connector
session. The member's consent is the sandbox's login hint on the printed authorization URL (as
infra/local/auth.py `_connect_snowflake_managed` drives it); the URL it redirects to is pasted on the CLI's stdin,
as a member pastes it from the browser's address bar."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from infra.local.sandbox.config import SandboxConfig
from infra.local.settings import REPO_ROOT, Settings
from tests.integration.conftest import local_stack, query
from tests.integration.test_connection import NAME, whoop

SEED = 5
MEMBER = "cal"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """An install before anyone signed in: no member, the pipeline stopped, the WHOOP client stored."""
    with local_stack(tmp_path_factory.mktemp("whoop_auth_connection"), ["ann", MEMBER], days=20, seed=SEED,
                     authorize=False) as settings:  # fmt: skip
        yield settings


def user_id(settings: Settings, member: str) -> int:
    listed = requests.get(f"{settings.sandbox_url}/_sandbox/members", timeout=10).json()
    return next(m["user_id"] for m in listed if m["name"] == member)


def consent(url: str, member: str) -> str:
    """The member signs in at the authorization URL and consents: the URL WHOOP redirects the browser to."""
    response = requests.get(url, params={"login_hint": member}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:200]
    return response.headers["Location"]


def sign_in(home: Path, member: str, *options: str, answer=consent) -> tuple[subprocess.CompletedProcess, str]:
    """`whoop -c NAME auth --member M … --no-browser`, the redirect pasted on stdin once the URL is printed:
    (the finished process, what was pasted). `answer(url, member)` is the member at the browser."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SNOWFLAKE_", "WHOOP_"))}
    base.update({"SNOWFLAKE_HOME": str(home), "WHOOP_HOME": str(home / "whoop"), "WHOOP_WAREHOUSE_PORT": "9"})
    args = ["-c", NAME, "--app", "WHOOP", "auth", "--member", member, *options, "--no-browser"]
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.cli", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=base,
    )
    assert process.stdout and process.stdin
    printed = []
    url = None
    for line in process.stdout:  # up to the authorization URL (the process then waits on stdin)
        printed.append(line)
        if line.startswith("  http"):
            url = line.strip()
            break
    pasted = answer(url, member) if url else ""
    out, err = process.communicate(pasted + "\n", timeout=300)
    return subprocess.CompletedProcess(args, process.returncode, "".join(printed) + out, err), pasted


def secrets_in(result: subprocess.CompletedProcess, pasted: str) -> list[str]:
    """What must never be printed: the client secret, the authorization code, any token the sandbox issued."""
    code = parse_qs(urlparse(pasted).query).get("code", [""])[0]
    words = [SandboxConfig(seed=SEED).secret, code, "refresh_token", "access_token"]
    return [w for w in words if w and (w in result.stdout or w in result.stderr)]


@pytest.fixture(scope="module")
def signed_in(stack, tmp_path_factory):
    home = tmp_path_factory.mktemp("snowflake_home")
    (home / "connections.toml").write_text(
        f'[{NAME}]\naccount = "local"\nuser = "whoop"\npassword = "local"\nhost = "{stack.host}"\n'
        f'port = {stack.warehouse_port}\nprotocol = "http"\n'
    )
    (home / "connections.toml").chmod(0o600)
    result, pasted = sign_in(home, MEMBER, "--user-id", str(user_id(stack, MEMBER)))
    return home, result, pasted


def test_auth_on_a_connection_signs_the_member_in_and_run_ingests_them(stack, signed_in):
    home, result, pasted = signed_in
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == (
        f"authorized member {MEMBER} in app WHOOP on connection {NAME} "
        "(Snowflake-managed OAuth: Snowflake refreshes the WHOOP token); the pipeline is started"
    ), lines
    assert result.stderr == ""
    assert secrets_in(result, pasted) == []
    modes = dict(query(stack, "SELECT MEMBER_NAME, AUTH_MODE FROM CONFIG.MEMBERS"))
    assert modes == {MEMBER: "SNOWFLAKE_MANAGED"}
    run = whoop("-c", NAME, "--app", "WHOOP", "run", home=home)
    assert run.returncode == 0, run.stderr
    ingested = [line.split() for line in run.stdout.splitlines() if line.strip().startswith(f"{MEMBER}: ")]
    assert ingested and int(ingested[0][1]) > 0, run.stdout  # "cal: N records read, M new versions"
    assert query(stack, "SELECT COUNT(*) FROM BRONZE.RAW_CYCLE WHERE MEMBER_ID = %s", [user_id(stack, MEMBER)])[0][0]


def test_a_redirect_from_an_earlier_sign_in_is_one_line(signed_in):
    """--redirect-url with the URL of the sign-in above: this run's START began another flow (another state)."""
    home, _, old = signed_in
    result = whoop(
        "-c", NAME, "--app", "WHOOP", "auth", "--member", MEMBER, "--no-browser", "--redirect-url", old, home=home
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"whoop: the redirect URL is not from this sign-in of {MEMBER}"), line
    assert secrets_in(result, old) == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda url, member: f"{url.split('?')[0]}?error=access_denied", "WHOOP did not authorize cal (access_denied)"),
        # the right state, a code WHOOP never issued: FINISH_MEMBER_OAUTH's token exchange refuses it
        (
            lambda url, member: "http://x/cb?code=forged-code-1234&state=" + parse_qs(urlparse(url).query)["state"][0],
            "authorizing cal failed: The token endpoint refused the authorization code (invalid_grant)",
        ),
        (lambda url, member: "", "no redirect URL given for cal"),
    ],
    ids=["refused", "forged-code", "nothing-pasted"],
)
def test_a_bad_redirect_is_one_line_and_prints_nothing_secret(signed_in, answer, expected):
    home = signed_in[0]
    result, pasted = sign_in(home, MEMBER, answer=answer)  # a re-authorization: no --user-id
    assert result.returncode == 1, result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"whoop: {expected}"), line
    assert secrets_in(result, pasted) == []
    assert "forged-code-1234" not in result.stderr + result.stdout


def test_an_unknown_member_without_user_id_is_one_line(signed_in):
    home = signed_in[0]
    result = whoop(
        "-c", NAME, "--app", "WHOOP", "auth", "--member", "nobody", "--no-browser", "--redirect-url", "x", home=home
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "whoop: the app has no Snowflake-managed member nobody: give --user-id ID (the member's WHOOP user id) "
        "to connect them"
    ]
    assert result.stdout == ""
    missing = whoop("-c", NAME, "--app", "WHOOP", "auth", home=home)
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        "whoop: on a connection whoop auth needs --member NAME (and --user-id ID to connect a new member)"
    ]


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (("--member", MEMBER, "--user-id", "abc"), "--user-id 'abc' is not a WHOOP user id"),
        (("--member", "9lives", "--user-id", "1"), "member name '9lives' is not valid"),
        (("--member", MEMBER, "--client-id", "x"), "--client-id: local-stack options; on connection whoop_local"),
        (("--member", MEMBER, "--snowflake-managed"), "--snowflake-managed: local-stack options"),
    ],
)
def test_auth_options_on_a_connection_are_checked_in_one_line(signed_in, options, needle):
    result = whoop("-c", NAME, "--app", "WHOOP", "auth", *options, "--no-browser", home=signed_in[0])
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"whoop: {needle}"), line
    assert result.stdout == ""
