"""REGISTER_MEMBER: store a newly authorized member's refresh token and mark the member active.

Only a procedure can read the app's secrets, so adding a member's token to the JSON map of refresh
tokens happens here (called by `whoop auth` locally and by the Setup page in Snowflake).
"""

from __future__ import annotations

import json
from typing import Any

from snowpark_procs import secrets
from snowpark_procs.ingest import TOKENS_ALIAS, TOKENS_SECRET

CLIENT_SECRET = "CONFIG.WHOOP_CLIENT"


def register(session: Any, member: str, refresh_token: str, whoop_user_id: int) -> str:
    member = member.strip()
    if not member or not refresh_token:
        raise ValueError("member and refresh_token are required")
    tokens = json.loads(secrets.read_generic(TOKENS_ALIAS) or "{}")
    tokens[member] = refresh_token
    secrets.write_generic(session, TOKENS_SECRET, json.dumps(tokens, sort_keys=True))
    session.sql(
        "MERGE INTO CONFIG.MEMBERS AS m USING (SELECT ? AS MEMBER_NAME, ? AS WHOOP_USER_ID) AS s "
        "ON m.MEMBER_NAME = s.MEMBER_NAME "
        "WHEN MATCHED THEN UPDATE SET WHOOP_USER_ID = s.WHOOP_USER_ID, STATUS = 'ACTIVE', AUTHORIZED_AT = SYSDATE(), "
        "STATUS_REASON = NULL "
        "WHEN NOT MATCHED THEN INSERT (MEMBER_NAME, WHOOP_USER_ID, STATUS, AUTHORIZED_AT) "
        "VALUES (s.MEMBER_NAME, s.WHOOP_USER_ID, 'ACTIVE', SYSDATE())",
        params=[member, int(whoop_user_id)],
    ).collect()
    return f"member {member} registered"


def set_client(session: Any, client_id: str, client_secret: str) -> str:
    """SET_WHOOP_CLIENT: store the installer's WHOOP developer-app credentials in the app's secret."""
    if not client_id or not client_secret:
        raise ValueError("client_id and client_secret are required")
    secrets.write_generic(
        session, CLIENT_SECRET, json.dumps({"client_id": client_id, "client_secret": client_secret}, sort_keys=True)
    )
    return "WHOOP client credentials stored"
