"""Text that users send: what may be stored and shown.

PostgreSQL cannot store a NUL character in text (it fails the statement), and control or
bidirectional-override characters in a name shown to others can disguise it (``U+202E``
turns ``gpj.exe`` around). :data:`Name` and :data:`Text` refuse them (422) wherever a
request model or form field uses them; :data:`Secret` (a password) may hold any character
but NUL. The outer middleware also refuses a NUL in any URL and in any non-multipart body
(:func:`has_nul_escape`), so no route can pass one to the database by accident.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["Name", "Secret", "Text", "check_name", "check_secret", "has_nul_escape"]

_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def has_nul_escape(json_text: bytes) -> bool:
    """True when ``json_text`` holds a NUL: a raw ``\\x00`` byte or the JSON escape ``\\u0000``
    (not preceded by an escaping backslash)."""
    return b"\x00" in json_text or _NUL_ESCAPE.search(json_text) is not None


def check_secret(value: str) -> str:
    if "\x00" in value:
        raise ValueError("may not contain a NUL character")
    return value


def check_name(value: str) -> str:
    """``value`` unchanged, or ValueError when it holds a control, format (bidirectional
    override, zero-width) or other non-printable character; spaces are fine."""
    for ch in value:
        if not ch.isprintable() and ch != " ":
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            raise ValueError(f"may not contain the character {name.title()} (U+{ord(ch):04X})")
    return value


#: a name or any one-line text shown to people (garment, API key, e-mail address, search words)
Name = Annotated[str, AfterValidator(check_name)]
Text = Name
#: a password: any character but NUL
Secret = Annotated[str, AfterValidator(check_secret)]
