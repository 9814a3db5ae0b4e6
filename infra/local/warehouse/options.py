"""`KEY = value` options of account-object statements: parsed, and redacted where sensitive."""

from __future__ import annotations

import re
from typing import Any

from infra.local.warehouse.secret_store import REDACTED, is_sensitive
from infra.local.warehouse.sqltext import QNAME, split_name

STRING = r"'(?:[^']|'')*'"
_VALUE = rf"{STRING}|\$\$.*?\$\$|\((?:[^()']|{STRING})*\)|[^\s,()]+"
_PAIR = re.compile(rf"{STRING}|\$\$.*?\$\$|\b(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<val>{_VALUE})", re.S)


def option_value(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith("'"):
        return raw[1:-1].replace("''", "'")
    if raw.startswith("$$"):
        return raw[2:-2]
    if raw.startswith("("):
        return [option_value(i) for i in re.findall(rf"{STRING}|[^,\s()]+", raw[1:-1])]
    if re.fullmatch(QNAME, raw):
        return ".".join(split_name(raw))
    return raw.upper()


def parse_properties(text: str) -> dict[str, Any]:
    """`KEY = value` pairs (strings unquoted, lists as lists, bare words upper-cased), keys upper-case."""
    return {m["key"].upper(): option_value(m["val"]) for m in _PAIR.finditer(text) if m["key"]}


def redact(text: str) -> str:
    """The statement with the values of sensitive keys replaced by '***'."""

    def sub(m: re.Match[str]) -> str:
        if m["key"] and is_sensitive(m["key"]):
            return m.group(0)[: m.start("val") - m.start()] + f"'{REDACTED}'"
        return m.group(0)

    return _PAIR.sub(sub, text)


def like_pattern(rest: str) -> re.Pattern[str] | None:
    m = re.search(rf"\bLIKE\s+({STRING})", rest, re.I)
    if not m:
        return None
    pattern = option_value(m.group(1))
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(regex, re.I | re.S)
