"""Generate docs/data-model.md from the comments on the tables and columns in sql/.

The comments in the DDL are the source of truth (Snowflake shows them in Snowsight and in
INFORMATION_SCHEMA); this page collects them per layer so they can be read in one place. The local
warehouse drops column comments, so the page is generated from the SQL files, not from a warehouse.
`python -m infra.data_model_doc` rewrites the page; a test fails when it is out of date.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from infra.local.warehouse.sqltext import split_top_level
from snowpark_procs import sql_templates

ROOT = Path(__file__).resolve().parents[1]
SQL = ROOT / "sql"
OUT = ROOT / "docs" / "data-model.md"
LAYERS = ("config", "bronze", "silver", "gold", "quality", "ml", "ops")

_CREATE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TRANSIENT\s+)?(?P<kind>DYNAMIC\s+TABLE|TABLE|SECURE\s+VIEW|VIEW)\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.]+)",
    re.I,
)
_COMMENT = re.compile(r"\bCOMMENT\s*=?\s*'((?:[^']|'')*)'", re.I)


@dataclass
class Column:
    name: str
    type: str
    comment: str


@dataclass
class Table:
    name: str
    kind: str
    comment: str
    file: str
    columns: list[Column] = field(default_factory=list)


def _balanced(text: str, start: int) -> int:
    """Index just past the parenthesis that closes the one at `start` (quotes respected)."""
    depth, i, quoted = 0, start, False
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced parentheses")


def _unquote(text: str) -> str:
    return text.replace("''", "'")


def tables() -> list[Table]:
    found: list[Table] = []
    for path in sorted(SQL.rglob("*.sql")):
        # templates (sql/gold/, rendered by OPS.BUILD_GOLD) are read as they run; a plain file renders as itself
        text = re.sub(r"--[^\n]*", "", sql_templates.render_file(path, "APP_WAREHOUSE"))
        for m in _CREATE.finditer(text):
            kind = " ".join(m["kind"].upper().split())
            rest_start = m.end()
            columns: list[Column] = []
            if kind == "TABLE" and text[rest_start:].lstrip().startswith("("):
                open_at = text.index("(", rest_start)
                close_at = _balanced(text, open_at)
                for part in [p.strip() for p in split_top_level(text[open_at + 1 : close_at - 1]) if p.strip()]:
                    col = re.match(
                        r"(\w+)\s+(.+?)(?:\s+NOT\s+NULL)?(?:\s+DEFAULT\s+\S+)?(?:\s+COMMENT\s+'|$)", part, re.S
                    )
                    if not col:
                        continue
                    comment = _COMMENT.search(part)
                    columns.append(
                        Column(
                            col.group(1), " ".join(col.group(2).split()), _unquote(comment.group(1)) if comment else ""
                        )
                    )
                rest_start = close_at
            if kind == "TABLE":
                comment = re.match(r"\s*COMMENT\s*=\s*'((?:[^']|'')*)'", text[rest_start:], re.I)
            else:
                comment = _COMMENT.search(text[rest_start : text.find("\nAS", rest_start)])
            found.append(
                Table(
                    m["name"].upper(),
                    kind,
                    _unquote(comment.group(1)) if comment else "",
                    str(path.relative_to(ROOT)),
                    columns,
                )
            )
    return found


def render() -> str:
    lines = [
        "# Data model",
        "",
        "Generated from the table and column comments in `sql/` by `python -m infra.data_model_doc`; do not edit.",
        "What the Gold columns mean, the day rules and the quarantine rules: `docs/data-dictionary.md`.",
        "",
    ]
    by_layer: dict[str, list[Table]] = {}
    for t in tables():
        by_layer.setdefault(t.file.split("/")[1], []).append(t)
    for layer in sorted(by_layer, key=lambda x: LAYERS.index(x) if x in LAYERS else len(LAYERS)):
        lines += [f"## {layer}", ""]
        for t in sorted(by_layer[layer], key=lambda t: t.name):
            lines += [
                f"### {t.name} ({t.kind.lower()})",
                "",
                t.comment or "(no comment)",
                "",
                f"Defined in `{t.file}`.",
                "",
            ]
            if t.columns:
                lines += ["| column | type | meaning |", "|---|---|---|"]
                lines += [f"| {c.name} | {c.type} | {c.comment.replace('|', '/')} |" for c in t.columns]
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    OUT.write_text(render())
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
