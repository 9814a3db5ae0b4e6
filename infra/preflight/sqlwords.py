"""Small readers over a statement's sqlglot tokens, shared by the rules (names, `KEY = (a, b)` lists)."""

from __future__ import annotations

from sqlglot.tokens import Token, TokenType

STRINGS = (TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING)


def upper(tokens: list[Token]) -> list[str]:
    return [t.text.upper() for t in tokens]


def find(tokens: list[Token], *words: str, start: int = 0) -> int:
    """Index of the first token sequence equal to `words` (not inside a string), or -1."""
    ws = upper(tokens)
    n = len(words)
    for i in range(start, len(ws) - n + 1):
        if tuple(ws[i : i + n]) == words and tokens[i].token_type not in STRINGS:
            return i
    return -1


def paren_list(tokens: list[Token], key: str) -> tuple[int, list[list[Token]]] | None:
    """`KEY = ( item, item )`: (index of KEY, each item's tokens split on top-level commas), or None."""
    i = find(tokens, key)
    if i < 0:
        return None
    j = i + 1
    if j < len(tokens) and tokens[j].token_type == TokenType.EQ:
        j += 1
    if j >= len(tokens) or tokens[j].token_type != TokenType.L_PAREN:
        return i, [tokens[j : j + 1]] if j < len(tokens) else []
    depth, items, cur = 0, [], []
    for t in tokens[j + 1 :]:
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            if depth == 0:
                break
            depth -= 1
        if t.token_type == TokenType.COMMA and depth == 0:
            items.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        items.append(cur)
    return i, items


def name_parts(tokens: list[Token]) -> tuple[str, ...]:
    """`db.schema.obj` as upper-case parts (quoted parts keep their case)."""
    parts = []
    for t in tokens:
        if t.token_type == TokenType.DOT:
            continue
        parts.append(t.text if t.token_type == TokenType.IDENTIFIER else t.text.upper())
    return tuple(parts)


def same_object(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two names for one object, one perhaps less qualified than the other."""
    if not a or not b:
        return False
    n = min(len(a), len(b))
    return a[-n:] == b[-n:]


def object_name_after(tokens: list[Token], kind: tuple[str, ...]) -> tuple[int, list[Token]] | None:
    """For CREATE [OR REPLACE] … <kind> [IF NOT EXISTS] <name>: (index of the name, the name's tokens)."""
    i = find(tokens, *kind)
    if i < 0:
        return None
    j = i + len(kind)
    if tuple(upper(tokens[j : j + 3])) == ("IF", "NOT", "EXISTS"):
        j += 3
    name: list[Token] = []
    while j < len(tokens):
        t = tokens[j]
        if name and t.token_type != TokenType.DOT and name[-1].token_type != TokenType.DOT:
            break
        name.append(t)
        j += 1
    return (j - len(name), name) if name else None
