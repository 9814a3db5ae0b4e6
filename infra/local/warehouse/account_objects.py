"""CREATE / ALTER / DROP of the recorded account and governance objects (account_catalog.py has their kinds).

Accepted, recorded in the local catalog, never enforced. A statement that names one of these kinds in a form
not understood here fails with an error saying so, echoing no values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from infra.local.warehouse import account_catalog as ac
from infra.local.warehouse import row_access
from infra.local.warehouse.base import LocalSession, Outcome, ok
from infra.local.warehouse.errors import LocalSqlError
from infra.local.warehouse.options import STRING, option_value, parse_properties, redact
from infra.local.warehouse.sqltext import QNAME, closing_paren, qualify

if TYPE_CHECKING:
    from infra.local.warehouse.engine import Engine


def register(engine: Engine) -> None:
    kind, name, ine = ac.KIND_RE, rf"(?P<name>{QNAME})", r"(?P<ine>IF\s+NOT\s+EXISTS\s+)?"
    for form, handler in (
        (rf"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?{kind}\s+{ine}{name}(?P<rest>(?:\s.*|\(.*)?)", _create),
        (rf"ALTER\s+{kind}\s+(?P<ie>IF\s+EXISTS\s+)?{name}\s+(?P<rest>.+)", _alter),
        (rf"DROP\s+{kind}\s+(?P<ie>IF\s+EXISTS\s+)?{name}(?:\s+(?:CASCADE|RESTRICT))?", _drop),
        # the statement names one of these kinds but its syntax was not understood: say so, echoing no values
        (rf"(?P<verb>CREATE|ALTER|DROP)\s+(?:OR\s+REPLACE\s+)?{kind}\b.*", _unparsed),
    ):
        engine.on(f"^{form}$", handler)


def _create(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = ac.kind_of(m["kind"])
    if kind.name not in ac.KINDS:
        raise LocalSqlError("CREATE INTEGRATION needs a type: SECURITY, EXTERNAL ACCESS or NOTIFICATION", errno=1003)
    if m["replace"] and m["ine"]:
        raise LocalSqlError("OR REPLACE and IF NOT EXISTS are incompatible.", errno=2000)
    name = ac.normalised_name(kind, m["name"], session)
    fields = _create_properties(engine, session, kind, (m["rest"] or "").strip())
    with engine.catalog.lock:
        if found := ac.find_object(engine, kind.name, name):
            if m["ine"]:
                return ok(f"{name} already exists, statement succeeded.")
            if not m["replace"]:
                raise LocalSqlError(f"Object '{name}' already exists.", errno=2002)
            ac.guard_attached(engine, found[0], name, "replaced")
            ac.forget_object(engine, found[0], name)
        props: dict[str, Any] = {}
        ac.apply_fields(engine, kind.name, name, props, fields)
        engine.catalog.put_object(kind.name, name, props, redact(text))
        row_access.invalidate(engine)
    return ok(f"{kind.label} {name.rsplit('.', 1)[-1]} successfully created.")


_SECRET_TYPES = {"OAUTH2", "PASSWORD", "GENERIC_STRING", "CLOUD_PROVIDER_TOKEN", "SYMMETRIC_KEY"}
_POLICY = re.compile(
    rf"^AS\s*\((?P<sig>[^)]*)\)\s*RETURNS\s+(?P<ret>\w+(?:\s*\([^)]*\))?)\s*->\s*(?P<body>.*?)"
    rf"(?:\s+COMMENT\s*=\s*(?P<comment>{STRING}))?\s*$",
    re.I | re.S,
)


def _create_properties(engine: Engine, session: LocalSession, kind: ac.Kind, rest: str) -> dict[str, Any]:
    if kind.name.endswith("POLICY"):
        if not (m := _POLICY.match(rest)):
            raise LocalSqlError(
                f"CREATE {kind.name} needs AS (<arg> <type>, ...) RETURNS <type> -> <expression>", errno=1003
            )
        args = [ac.upper_words(a) for a in m["sig"].split(",") if a.strip()]
        props = {"SIGNATURE": args, "RETURN_TYPE": ac.upper_words(m["ret"]), "BODY": m["body"].strip()}
        return props | ({"COMMENT": option_value(m["comment"])} if m["comment"] else {})
    if kind.name == "ALERT":
        return _alert_properties(rest)
    props = _properties(engine, session, kind, rest)
    if kind.name == "TAG" and (allowed := re.search(rf"\bALLOWED_VALUES\s+((?:{STRING}\s*,?\s*)+)", rest, re.I)):
        props["ALLOWED_VALUES"] = [option_value(v) for v in re.findall(STRING, allowed.group(1))]
    elif kind.name == "WAREHOUSE":
        props["STATE"] = "SUSPENDED" if props.get("INITIALLY_SUSPENDED") == "TRUE" else "STARTED"
    elif kind.name == "SECRET" and props.get("TYPE") not in _SECRET_TYPES:
        raise LocalSqlError(f"CREATE SECRET needs TYPE = one of {', '.join(sorted(_SECRET_TYPES))}", errno=1003)
    return props


def _properties(engine: Engine, session: LocalSession, kind: ac.Kind, text: str) -> dict[str, Any]:
    """`KEY = value` options of CREATE and ALTER … SET, the objects they name checked and qualified."""
    props = parse_properties(text)
    if kind.name == "SECRET" and "API_AUTHENTICATION" in props:
        ac.require_object(engine, "INTEGRATION", props["API_AUTHENTICATION"])
    if kind.name != "EXTERNAL ACCESS INTEGRATION":
        return props
    # the network rules, secrets and integrations an EAI allows must exist
    for key, ref in (
        ("ALLOWED_NETWORK_RULES", "NETWORK RULE"),
        ("ALLOWED_AUTHENTICATION_SECRETS", "SECRET"),
        ("ALLOWED_API_AUTHENTICATION_INTEGRATIONS", "INTEGRATION"),
    ):
        values = props.get(key, [])
        values = [] if values in ("NONE", ["NONE"]) else values if isinstance(values, list) else [values]
        if ref != "INTEGRATION":  # schema objects
            values = [qualify(v, session.database, session.schema).fqn for v in values]
        for n in values:
            ac.require_object(engine, ref, n)
        if key in props:
            props[key] = values
    return props


def _alert_properties(rest: str) -> dict[str, Any]:
    wrong = LocalSqlError("CREATE ALERT needs IF (EXISTS (<query>)) THEN <action>", errno=1003)
    if not (m := re.search(r"\bIF\s*\(", rest, re.I)):
        raise wrong
    close_at = closing_paren(rest, m.end() - 1)
    cond = re.match(r"^EXISTS\s*\((?P<q>.*)\)$", rest[m.end() : close_at].strip(), re.I | re.S)
    action = re.match(r"^\s*THEN\s+(?P<a>.+)$", rest[close_at + 1 :], re.I | re.S)
    if not cond or not action:
        raise wrong
    props = parse_properties(rest[: m.start()])
    return props | {"CONDITION": cond["q"].strip(), "ACTION": action["a"].strip(), "STATE": "SUSPENDED"}


Alter = Callable[["Engine", LocalSession, ac.Kind, str, dict[str, Any], re.Match[str]], None]


def _set(engine: Engine, session: LocalSession, kind: ac.Kind, name: str, props: dict, m: re.Match) -> None:
    if not (fields := _properties(engine, session, kind, m["pairs"])):
        raise LocalSqlError(f"ALTER {kind.name} SET needs <property> = <value>", errno=1003)
    ac.apply_fields(engine, kind.name, name, props, fields)


def _unset(engine: Engine, session: LocalSession, kind: ac.Kind, name: str, props: dict, m: re.Match) -> None:
    keys = [ac.upper_words(k) for k in m["keys"].split(",") if k.strip()]
    if not all(re.fullmatch(r"[A-Z_][A-Z0-9_]*", k) for k in keys):
        raise LocalSqlError(f"ALTER {kind.name} UNSET needs property names", errno=1003)
    ac.apply_fields(engine, kind.name, name, props, dict.fromkeys(keys))


def _put(engine: Engine, session: LocalSession, kind: ac.Kind, name: str, props: dict, m: re.Match) -> None:
    """The clause's named groups are the properties it sets."""
    props.update({key: value.strip() for key, value in m.groupdict().items() if value is not None})


def _state(engine: Engine, session: LocalSession, kind: ac.Kind, name: str, props: dict, m: re.Match) -> None:
    props["STATE"] = "STARTED" if m["s"].upper() == "RESUME" else "SUSPENDED"


# ALTER <kind> <name> …: (clause, the kinds it applies to (None: all), what it does), the first match wins
_ALTERS: list[tuple[str, tuple[str, ...] | None, Alter]] = [
    (r"(?P<s>RESUME|SUSPEND)", ("ALERT",), _state),
    (r"SET\s+BODY\s*->\s*(?P<BODY>.+)", ("MASKING POLICY", "ROW ACCESS POLICY"), _put),
    (r"SET\s+(?P<pairs>.+)", None, _set),
    (r"UNSET\s+(?P<keys>.+)", ("SECRET",), _unset),  # an OAuth secret's refresh token (tests/warehouse)
]


def _alter(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = ac.kind_of(m["kind"])
    name = ac.normalised_name(kind, m["name"], session)
    rest = m["rest"].strip()
    with engine.catalog.lock:
        if (found := ac.find_object(engine, kind.name, name)) is None:
            if m["ie"]:
                return ok()
            raise ac.not_found(kind.label, name)
        kind, props = found
        for clause, kinds, action in _ALTERS:
            if (kinds is None or kind.name in kinds) and (c := re.fullmatch(clause, rest, re.I | re.S)):
                action(engine, session, kind, name, props, c)
                break
        else:
            words = re.match(r"^[A-Z_]+(?:\s+[A-Z_]+)?", ac.upper_words(rest))
            raise LocalSqlError(
                f"The local warehouse does not support ALTER {kind.name} ... "
                f"{words.group(0) if words else ''} (see infra/local/README.md)",
                errno=2000,
            )
        ac.update_object(engine, kind.name, name, props)
        row_access.invalidate(engine)
    return ok()


def _drop(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    kind = ac.kind_of(m["kind"])
    name = ac.normalised_name(kind, m["name"], session)
    with engine.catalog.lock:
        if (found := ac.find_object(engine, kind.name, name)) is None:
            if m["ie"]:
                return ok(f"Drop statement executed successfully ({name} already dropped).")
            raise ac.not_found(kind.label, name)
        ac.guard_attached(engine, found[0], name, "dropped")
        ac.forget_object(engine, found[0], name)
        row_access.invalidate(engine)
    return ok(f"{name.rsplit('.', 1)[-1]} successfully dropped.")


def _unparsed(engine: Engine, session: LocalSession, text: str, m: re.Match[str]) -> Outcome:
    raise LocalSqlError(
        f"Cannot parse this {m['verb'].upper()} {ac.upper_words(m['kind'])} statement "
        "(see infra/local/README.md for the forms the local warehouse records)",
        errno=1003,
    )
