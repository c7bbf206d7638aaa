"""Text from outside (a server's reply, a file name, an export's field) → text safe to print on a terminal (pure).

A control character in what an administrator reads (an escape sequence, a carriage return) can
hide or rewrite what is shown; each is shown as its escape instead (`\\x1b`).
"""

from __future__ import annotations


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character written as a Python escape (`\\x1b`, `\\r`)."""
    return "".join(
        ch
        if ch.isprintable() or (keep_newlines and ch == "\n")
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
