"""Session names as people type them: normalised (NFKC, so a full-width or compatibility form is the same name),
one script per name (a Cyrillic 'е' inside a Latin word is refused), and codes for the web app that nobody can
guess."""

from __future__ import annotations

import re
import secrets
import unicodedata

from advisor.errors import InputError

NAME = re.compile(r"[\w][\w .-]{0,63}")
NAME_RULE = "use up to 64 letters, digits, spaces, '.', '-' or '_', starting with a letter or digit"
# Scripts that are written together in one name (Japanese mixes Han, Hiragana and Katakana).
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "KATAKANA-HIRAGANA": "CJK", "CJK": "CJK", "HANGUL": "CJK"}
# Letters of other scripts that look like Latin letters: a name made only of these imitates a Latin name.
_LATIN_LOOKALIKES = set("аеорсухіјѕԁһӏԛԝвкмнтАВЕКМНОРСТУХІЈЅԌԜαοριτυνκΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")


class SessionError(InputError, ValueError):
    """An unknown session, or a name that cannot be used."""


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name ('LATIN SMALL LETTER A' is Latin); None for others."""
    if not ch.isalpha():
        return None
    try:
        first = unicodedata.name(ch).split()[0]
    except ValueError:
        return "UNKNOWN"
    return _SCRIPT_GROUPS.get(first, first)


def session_name(name: object) -> str:
    """The session's name as stored: NFKC-normalised, outer whitespace stripped, inner runs of spaces made one.
    Names with control characters, other characters, letters of more than one script, or only letters that
    imitate Latin ones are refused."""
    if not isinstance(name, str):
        raise SessionError(f"Bad session name {name!r}: {NAME_RULE}")
    text = unicodedata.normalize("NFKC", name).strip()
    if any(unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" for ch in text):
        raise SessionError(f"Bad session name {name!a}: it contains control characters; {NAME_RULE}")
    text = re.sub(r"\s+", " ", text)
    if not NAME.fullmatch(text):
        raise SessionError(f"Bad session name {name!a}: {NAME_RULE}")
    scripts = {s for s in map(_script, text) if s}
    if len(scripts) > 1:
        raise SessionError(f"Bad session name {name!a}: it mixes letters of {len(scripts)} scripts "
                           f"({', '.join(sorted(s.title() for s in scripts))}), so it could pass for another "
                           "name; use letters of one script")
    letters = [ch for ch in text if ch.isalpha()]
    if letters and scripts != {"LATIN"} and all(ch in _LATIN_LOOKALIKES for ch in letters):
        raise SessionError(f"Bad session name {name!a}: its letters only imitate Latin ones, so it could pass "
                           "for another name; use Latin letters or a name that does not look like one")
    return text


def new_web_code() -> str:
    """A conversation code for the web app: 192 random bits, so the code itself is what lets one resume it."""
    return "web-" + secrets.token_urlsafe(24)
