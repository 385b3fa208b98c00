"""Secrets out of text before it is printed, stored or returned: bearer tokens, API keys, credentials in URLs
and the configured OPENAI_API_KEY, wherever they turn up (an error body that echoes a request, a URL)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

HIDDEN = "[redacted]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization: Bearer abc", "authorization': 'Basic abc'", "x-api-key: abc", "api-key=abc"
    (re.compile(r"(?i)\b((?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?)(?:(bearer|basic|token)\s+)?"
                r"[^\s\"',;}]+"), rf"\1\2 {HIDDEN}"),  # \2 may be empty: tidied below
    (re.compile(r"(?i)\b((?:x-)?api[-_]?key\b[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}&]+"), rf"\1{HIDDEN}"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{6,}"), f"Bearer {HIDDEN}"),
    # OpenAI-style keys: sk-..., sk-proj-..., and other providers' look-alikes (rk-, pk-)
    (re.compile(r"\b(?:sk|rk)-[A-Za-z0-9_-]{8,}"), HIDDEN),
    # user:password@ in any URL
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]*(?::[^\s/@]*)?@"), rf"\1{HIDDEN}@"),
    # a key or token in a query string
    (re.compile(r"(?i)([?&](?:api[-_]?key|key|token|access_token|password|secret|sig|signature)=)[^\s&#\"']+"),
     rf"\1{HIDDEN}"),
)


def configured_secrets() -> list[str]:
    """Secret values set in the environment now (read when called, never at import)."""
    out = []
    for var in ("OPENAI_API_KEY", "ADVISOR_API_KEY"):
        value = os.environ.get(var, "").strip()
        if len(value) >= 4:
            out.append(value)
    return out


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret it contains replaced by "[redacted]": the configured key and `secrets` as
    exact strings, then anything shaped like a bearer token, an API key or a password in a URL."""
    for secret in sorted({*configured_secrets(), *(s for s in secrets if len(s) >= 4)}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text.replace(f":  {HIDDEN}", f": {HIDDEN}").replace(f"=  {HIDDEN}", f"= {HIDDEN}")
