"""CREATE / ALTER / DROP of the recorded account and governance objects (account_catalog.py has their kinds).

Accepted, recorded in the local catalog, never enforced. A statement that names one of these kinds in a form
not understood here fails with an error saying so, echoing no values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from infra.local.warehouse.account_catalog import (
    KIND_RE,
    KINDS,
    Kind,
    apply_secret_fields,
    existing_kind,
    forget_object,
    get_object,
    guard_attached,
    kind_of,
    normalised_name,
    not_found,
    policies_changed,
    rename_object,
    require_integration,
    update_object,
    upper_words,
)
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import STRING, option_value, parse_properties, redact, split_sensitive
from infra.local.warehouse.policies import tag_masking, tag_refs
from infra.local.warehouse.sqltext import (
    QNAME,
    closing_paren,
    qualify,
)

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    on = engine.on
    on(
        rf"^CREATE\s+(?P<replace>OR\s+REPLACE\s+)?{KIND_RE}\s+(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
        rf"(?P<name>{QNAME})(?P<rest>(?:\s.*|\(.*)?)$",
        _create,
    )
    on(rf"^ALTER\s+{KIND_RE}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})\s+(?P<rest>.+)$", _alter)
    on(rf"^DROP\s+{KIND_RE}\s+(?P<ie>IF\s+EXISTS\s+)?(?P<name>{QNAME})(?:\s+(?:CASCADE|RESTRICT))?$", _drop)
    # the statement names one of these kinds but its syntax was not understood: say so, echoing no values
    on(rf"^(?P<verb>CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?{KIND_RE}\b.*$", _unparsed)


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = kind_of(m["kind"])
    if kind.name == "INTEGRATION":
        raise LocalSqlError(
            "CREATE INTEGRATION needs a type: SECURITY, EXTERNAL ACCESS, NOTIFICATION, API or STORAGE", errno=1003
        )
    if m["replace"] and m["ine"]:
        raise LocalSqlError("OR REPLACE and IF NOT EXISTS are incompatible.", errno=2000)
    name = normalised_name(kind, m["name"], session)
    props = _create_properties(engine, session, kind, (m["rest"] or "").strip())
    public, hidden = split_sensitive(props)
    with engine.catalog.lock:
        existing = existing_kind(engine, kind, name)
        if existing:
            if m["ine"]:
                return ok(f"{name} already exists, statement succeeded.")
            if not m["replace"]:
                raise LocalSqlError(f"Object '{name}' already exists.", errno=2002)
            guard_attached(engine, KINDS[existing], name, "replaced")
            forget_object(engine, KINDS[existing], name)
        engine.catalog.put_object(kind.name, name, public, redact(text))
        policies_changed(engine, kind.name)
        if kind.name == "SECRET":
            engine.secrets.put(f"SECRET:{name}", {k.lower(): v for k, v in props.items()})
        elif hidden:
            engine.secrets.put(f"{kind.name}:{name}", hidden)
    return ok(f"{kind.label} {name.rsplit('.', 1)[-1]} successfully created.")


_SECRET_TYPES = {"OAUTH2", "PASSWORD", "GENERIC_STRING", "CLOUD_PROVIDER_TOKEN", "SYMMETRIC_KEY"}


def _create_properties(engine: Engine, session: LocalSession, kind: Kind, rest: str) -> dict[str, Any]:
    if kind.name in ("MASKING POLICY", "ROW ACCESS POLICY"):
        return _policy_properties(kind, rest)
    if kind.name == "ALERT":
        return _alert_properties(rest)
    if kind.name == "RESOURCE MONITOR":
        head, _, triggers = (*re.split(r"\b(TRIGGERS)\b", rest, maxsplit=1, flags=re.I), "", "")[:3]
        props = parse_properties(head)
        props["TRIGGERS"] = _triggers(triggers)
        return props
    props = parse_properties(rest)
    if kind.name == "TAG":
        allowed = re.search(rf"\bALLOWED_VALUES\s+((?:{STRING}\s*,?\s*)+)", rest, re.I)
        if allowed:
            props["ALLOWED_VALUES"] = [option_value(v) for v in re.findall(STRING, allowed.group(1))]
    elif kind.name == "WAREHOUSE":
        props["STATE"] = "SUSPENDED" if props.get("INITIALLY_SUSPENDED") == "TRUE" else "STARTED"
    elif kind.name == "ALERT":
        props["STATE"] = "SUSPENDED"
    elif kind.name == "SECRET":
        if props.get("TYPE") not in _SECRET_TYPES:
            raise LocalSqlError(f"CREATE SECRET needs TYPE = one of {', '.join(sorted(_SECRET_TYPES))}", errno=1003)
        if "API_AUTHENTICATION" in props:
            require_integration(engine, props["API_AUTHENTICATION"])
    elif kind.name == "EXTERNAL ACCESS INTEGRATION":
        _resolve_eai_references(engine, session, props)
    return props


def _resolve_eai_references(engine: Engine, session: LocalSession, props: dict[str, Any]) -> None:
    """Qualify and check the network rules, secrets and integrations an EAI allows."""
    for key, kind in (("ALLOWED_NETWORK_RULES", "NETWORK RULE"), ("ALLOWED_AUTHENTICATION_SECRETS", "SECRET")):
        if key in props:
            values = props[key] if isinstance(props[key], list) else [props[key]]
            names = [] if values == ["NONE"] else [qualify(v, session.database, session.schema).fqn for v in values]
            for n in names:
                if get_object(engine, kind, n) is None:
                    raise not_found(KINDS[kind].label, n)
            props[key] = names
    key = "ALLOWED_API_AUTHENTICATION_INTEGRATIONS"
    if key in props:
        values = props[key] if isinstance(props[key], list) else [props[key]]
        props[key] = [] if values == ["NONE"] else values
        for n in props[key]:
            require_integration(engine, n)


def _policy_properties(kind: Kind, rest: str) -> dict[str, Any]:
    m = re.match(
        rf"^AS\s*\((?P<sig>[^)]*)\)\s*RETURNS\s+(?P<ret>\w+(?:\s*\([^)]*\))?)\s*->\s*(?P<body>.*?)"
        rf"(?:\s+COMMENT\s*=\s*(?P<comment>{STRING}))?\s*$",
        rest,
        re.I | re.S,
    )
    if not m:
        raise LocalSqlError(
            f"CREATE {kind.name} needs AS (<arg> <type>, ...) RETURNS <type> -> <expression>", errno=1003
        )
    args = [" ".join(a.split()).upper() for a in m["sig"].split(",") if a.strip()]
    props: dict[str, Any] = {"SIGNATURE": args, "RETURN_TYPE": upper_words(m["ret"]), "BODY": m["body"].strip()}
    if m["comment"]:
        props["COMMENT"] = option_value(m["comment"])
    return props


def _alert_properties(rest: str) -> dict[str, Any]:
    m = re.search(r"\bIF\s*\(", rest, re.I)
    if not m:
        raise LocalSqlError("CREATE ALERT needs IF (EXISTS (<query>)) THEN <action>", errno=1003)
    props = parse_properties(rest[: m.start()])
    open_at = m.end() - 1
    close_at = closing_paren(rest, open_at)
    inner = rest[open_at + 1 : close_at].strip()
    cond = re.match(r"^EXISTS\s*\((?P<q>.*)\)$", inner, re.I | re.S)
    action = re.match(r"^\s*THEN\s+(?P<a>.+)$", rest[close_at + 1 :], re.I | re.S)
    if not cond or not action:
        raise LocalSqlError("CREATE ALERT needs IF (EXISTS (<query>)) THEN <action>", errno=1003)
    props.update(CONDITION=cond["q"].strip(), ACTION=action["a"].strip(), STATE="SUSPENDED")
    return props


def _triggers(text: str) -> list[dict[str, Any]]:
    return [
        {"percent": int(p), "action": a.upper()}
        for p, a in re.findall(r"\bON\s+(\d+)\s+PERCENT\s+DO\s+(SUSPEND_IMMEDIATE|SUSPEND|NOTIFY)\b", text, re.I)
    ]


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = kind_of(m["kind"])
    name = normalised_name(kind, m["name"], session)
    rest = m["rest"].strip()
    with engine.catalog.lock:
        existing = existing_kind(engine, kind, name)
        if existing is None:
            if m["ie"]:
                return ok()
            raise not_found(kind.label, name)
        kind = KINDS[existing]
        props, _ = get_object(engine, kind.name, name)  # type: ignore[misc]
        words = upper_words(rest)
        if renamed := re.match(rf"^RENAME\s+TO\s+(?P<new>{QNAME})$", rest, re.I):
            rename_object(engine, kind, name, normalised_name(kind, renamed["new"], session))
            return ok()
        if tags := re.match(r"^(?P<op>SET|UNSET)\s+TAG\s+(?P<tags>.+)$", rest, re.I | re.S):
            tag_refs(engine, session, kind.grant_kind, name, "", tags["op"], tags["tags"])
            return ok()
        if kind.name == "TAG" and re.match(r"^(SET|UNSET)\s+MASKING\s+POLICY\b", rest, re.I):
            tag_masking(engine, session, name, rest)
            return ok()
        if kind.name == "TAG" and (vals := re.match(r"^(?P<op>ADD|DROP)\s+ALLOWED_VALUES\s+(?P<v>.+)$", rest, re.I)):
            current = list(props.get("ALLOWED_VALUES", []))
            values = [option_value(v) for v in re.findall(STRING, vals["v"])]
            if vals["op"].upper() == "ADD":
                current += [v for v in values if v not in current]
            else:
                current = [v for v in current if v not in values]
            props["ALLOWED_VALUES"] = current
        elif words in ("RESUME", "SUSPEND", "SUSPEND IMMEDIATE") and kind.name in ("WAREHOUSE", "ALERT"):
            props["STATE"] = "STARTED" if words == "RESUME" else "SUSPENDED"
        elif kind.name in ("MASKING POLICY", "ROW ACCESS POLICY") and (
            body := re.match(r"^SET\s+BODY\s*->\s*(?P<b>.+)$", rest, re.I | re.S)
        ):
            props["BODY"] = body["b"].strip()
        elif kind.name == "ALERT" and (
            cond := re.match(r"^MODIFY\s+CONDITION\s+EXISTS\s*\((?P<q>.*)\)$", rest, re.I | re.S)
        ):
            props["CONDITION"] = cond["q"].strip()
        elif kind.name == "ALERT" and (action := re.match(r"^MODIFY\s+ACTION\s+(?P<a>.+)$", rest, re.I | re.S)):
            props["ACTION"] = action["a"].strip()
        elif setting := re.match(r"^SET\s+(?P<pairs>.+)$", rest, re.I | re.S):
            pairs = setting["pairs"]
            if kind.name == "RESOURCE MONITOR" and re.search(r"\bTRIGGERS\b", pairs, re.I):
                pairs, _, triggers = re.split(r"\b(TRIGGERS)\b", pairs, maxsplit=1, flags=re.I)
                props["TRIGGERS"] = _triggers(triggers)
            new = parse_properties(pairs)
            if not new and "TRIGGERS" not in upper_words(setting["pairs"]):
                raise LocalSqlError(f"ALTER {kind.name} SET needs <property> = <value>", errno=1003)
            if kind.name == "EXTERNAL ACCESS INTEGRATION":
                _resolve_eai_references(engine, session, new)
            if kind.name == "SECRET":
                apply_secret_fields(engine, name, props, new)
            else:
                public, hidden = split_sensitive(new)
                props.update(public)
                if hidden:
                    store = engine.secrets
                    store.put(f"{kind.name}:{name}", {**store.get(f"{kind.name}:{name}"), **hidden})
        elif unsetting := re.match(r"^UNSET\s+(?P<keys>.+)$", rest, re.I | re.S):
            keys = [upper_words(k) for k in unsetting["keys"].split(",") if k.strip()]
            if not all(re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) for k in keys):
                raise LocalSqlError(f"ALTER {kind.name} UNSET needs property names", errno=1003)
            if kind.name == "SECRET":
                apply_secret_fields(engine, name, props, dict.fromkeys(keys))
            else:
                for k in keys:
                    props.pop(k, None)
                hidden = engine.secrets.get(f"{kind.name}:{name}")
                if any(k.lower() in hidden for k in keys):
                    engine.secrets.put(
                        f"{kind.name}:{name}", {k: v for k, v in hidden.items() if k.upper() not in keys}
                    )
        else:
            action_words = re.match(r"^[A-Z_]+(?:\s+[A-Z_]+)?", words)
            raise LocalSqlError(
                f"The local warehouse does not support ALTER {kind.name} ... "
                f"{action_words.group(0) if action_words else ''} (see infra/local/README.md)",
                errno=2000,
            )
        update_object(engine, kind.name, name, props)
        policies_changed(engine, kind.name)
    return ok()


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = kind_of(m["kind"])
    name = normalised_name(kind, m["name"], session)
    with engine.catalog.lock:
        existing = existing_kind(engine, kind, name)
        if existing is None:
            if m["ie"]:
                return ok(f"Drop statement executed successfully ({name} already dropped).")
            raise not_found(kind.label, name)
        guard_attached(engine, KINDS[existing], name, "dropped")
        forget_object(engine, KINDS[existing], name)
        policies_changed(engine, existing)
    return ok(f"{name.rsplit('.', 1)[-1]} successfully dropped.")


def _unparsed(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    raise LocalSqlError(
        f"Cannot parse this {m['verb'].upper()} {upper_words(m['kind'])} statement (see infra/local/README.md for the "
        "forms the local warehouse records)",
        errno=1003,
    )
