"""HTTP side of OAuth: /oauth/oauth2/auth (consent, instant with login_hint) and /oauth/oauth2/token."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlencode, urlparse

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from infra.local.sandbox.oauth import SCOPES, OAuthError
from infra.local.sandbox.state import Sandbox


def _sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox


async def _form(request: Request) -> dict[str, str]:
    """Parse an urlencoded body without python-multipart (not a project dependency)."""
    parsed = parse_qs((await request.body()).decode(), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items()}


def _validate(sandbox: Sandbox, params: dict[str, str]) -> list[str]:
    """Check an authorization request; returns the requested scopes."""
    cfg = sandbox.config
    if params.get("client_id") != cfg.client_id:
        raise OAuthError("invalid_client", "unknown client_id")
    redirect = params.get("redirect_uri", "")
    if cfg.redirect_uris is not None:
        if redirect not in cfg.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri is not registered")
    elif urlparse(redirect).scheme not in ("http", "https"):
        raise OAuthError("invalid_request", "redirect_uri must be an http(s) URI")
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    if len(params.get("state", "")) != 8:
        raise OAuthError("invalid_request", "state must be 8 characters")
    scopes = params.get("scope", "").split()
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise OAuthError("invalid_scope", f"unknown or missing scopes: {' '.join(unknown)}")
    return scopes


def _redirect(sandbox: Sandbox, params: dict[str, str], member: str, scopes: list[str]) -> Response:
    code = sandbox.tokens.issue_code(member, scopes, params["redirect_uri"])
    sep = "&" if urlparse(params["redirect_uri"]).query else "?"
    target = (
        params["redirect_uri"] + sep + urlencode({"code": code, "scope": " ".join(scopes), "state": params["state"]})
    )
    return RedirectResponse(target, status_code=302)


def _error(exc: OAuthError) -> JSONResponse:
    return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status)


async def authorize(request: Request) -> Response:
    sandbox = _sandbox(request)
    params = dict(request.query_params) if request.method == "GET" else await _form(request)
    try:
        scopes = _validate(sandbox, params)
    except OAuthError as exc:
        return _error(exc)
    member = params.get("login_hint") or params.get("member")
    if member:
        if member not in sandbox.store.members:
            return _error(OAuthError("access_denied", f"unknown member {member}"))
        return _redirect(sandbox, params, member, scopes)
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
    )
    options = "".join(f'<option value="{html.escape(m)}">{html.escape(m)}</option>' for m in sandbox.store.members)
    page = (
        "<!doctype html><title>WHOOP sandbox login</title><h1>WHOOP sandbox</h1>"
        f"<p>Grant <b>{html.escape(sandbox.config.client_id)}</b>: {html.escape(' '.join(scopes))}</p>"
        f'<form method="post" action="/oauth/oauth2/auth">{hidden}'
        f'<label>Member <select name="member">{options}</select></label> '
        '<button type="submit">Authorize</button></form>'
    )
    return HTMLResponse(page)


async def token(request: Request) -> Response:
    sandbox = _sandbox(request)
    form = await _form(request)
    cfg = sandbox.config
    try:
        if form.get("client_id") != cfg.client_id or form.get("client_secret") != cfg.secret:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            body = sandbox.tokens.exchange_code(form.get("code", ""), form.get("redirect_uri"))
        elif grant_type == "refresh_token":
            body = sandbox.tokens.refresh_grant(form.get("refresh_token", ""))
        else:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
    except OAuthError as exc:
        sandbox.metrics.record("POST", "/oauth/oauth2/token", exc.status)
        return _error(exc)
    sandbox.metrics.record("POST", "/oauth/oauth2/token", 200)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [
        Route("/oauth/oauth2/auth", authorize, methods=["GET", "POST"]),
        Route("/oauth/oauth2/token", token, methods=["POST"]),
    ]
