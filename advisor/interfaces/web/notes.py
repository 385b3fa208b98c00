"""What the page says when something cannot be done: a short note in the page's own words beside the control that
was used, never a red pop-up over the content and never command-line syntax.

A handler wrapped by `readable_errors` still fails its event (so a program calling the app through its API gets
the message as an error), but the browser shows no pop-up: the message is kept for that browser session and the
event's `.failure(page_note, outputs=note)` puts it in the tab's note. The trace goes to the server log only.
"""

from __future__ import annotations

import html
import inspect
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

import gradio as gr

from advisor.chat.store import StoreUnavailableError
from advisor.errors import AdvisorError
from advisor.redact import redact

log = logging.getLogger("advisor.web")
KEEP = 2000  # notes waiting to be shown, one per browser session at most

_waiting: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()
# a sentence that tells a terminal user what to type: `advisor index --add PATH`, FACTOR=NUMBER, --flags
_COMMAND = re.compile(r"`|\badvisor [a-z]|\b[A-Z_]{2,}=|\b[a-z_]+=[\d.]+\b|(?<!\w)--[a-z]")


def page_words(message: str) -> str:
    """`message` without the sentences that only make sense in a terminal (commands, FACTOR=NUMBER forms)."""
    sentences = re.split(r"(?<=[.;:!?])\s+", redact(message).strip())
    kept = [s for s in sentences if s and not _COMMAND.search(s)]
    text = " ".join(kept).rstrip(";: ")
    return (text if text.endswith((".", "!", "?")) else text + ".") if text else "That could not be done."


def page_message(exc: BaseException, saved: str = "Your conversation is saved") -> str:
    """What the page says about `exc`: ours in the page's words, anything else as a short apology."""
    if isinstance(exc, gr.Error):
        return page_words(str(exc.message))
    if isinstance(exc, StoreUnavailableError):  # the operator's problem: the log has the path and the fix
        return (f"Your conversations cannot be reached right now. {saved} if it was stored before; please try "
                "again in a moment.")
    if isinstance(exc, AdvisorError):
        return page_words(str(exc))
    return f"Something went wrong on our side. {saved}; please try again."


def note_html(message: str) -> str:
    """A quiet note (not an alarm): the message as escaped text in a box the style sheet colours."""
    return f"<div class='adv-note' role='status'>{html.escape(message, quote=False)}</div>" if message else ""


def page_note(request: gr.Request | None = None) -> str:
    """The note waiting for this browser session (the message of the event that just failed), shown once."""
    key = getattr(request, "session_hash", None) if request is not None else None
    with _lock:
        message = _waiting.pop(key, "") if key else ""
    return note_html(message or "Something went wrong on our side; please try again.")


def _failed(exc: BaseException, handler: str, saved: str, request: Any) -> gr.Error:
    if isinstance(exc, StoreUnavailableError):
        log.error("web handler %s: the session store failed: %s", handler, exc)
    elif not isinstance(exc, AdvisorError | gr.Error):
        log.error("web handler %s failed", handler, exc_info=exc)
    message = page_message(exc, saved)
    key = getattr(request, "session_hash", None)
    if key:
        with _lock:
            _waiting[key] = message
            _waiting.move_to_end(key)
            while len(_waiting) > KEEP:
                _waiting.popitem(last=False)
    return gr.Error(html.escape(message, quote=False), title="Cannot do that", visible=False,
                    print_exception=False)


def _with_request(fn: Callable[..., Any]) -> tuple[inspect.Signature, Callable[[tuple[Any, ...], dict[str, Any]],
                                                                             tuple[tuple[Any, ...], Any]]]:
    """`fn`'s signature with a request parameter (Gradio fills it), and a function that takes it back out."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    names = [p.name for p in params]
    if "request" in names:
        at = names.index("request")

        def own(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], Any]:
            return args, args[at] if len(args) > at else kwargs.get("request")

        return sig, own
    extra = inspect.Parameter("page_request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
                              annotation=gr.Request)

    def added(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], Any]:
        request = kwargs.pop("page_request", None)
        if len(args) == len(params) + 1:
            args, request = args[:-1], args[-1]
        return args, request

    return sig.replace(parameters=[*params, extra]), added


def readable_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` whose errors become a quiet `gr.Error` in the page's words, kept for the tab's note."""
    signature, split = _with_request(fn)

    @wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        args, request = split(args, kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise _failed(exc, fn.__name__, "Your conversation is saved", request) from None

    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = {**fn.__annotations__, "page_request": gr.Request}
    return call


def readable_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """`readable_errors` for a generator handler (a streamed answer)."""
    signature, split = _with_request(fn)

    @wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Iterator[Any]:
        args, request = split(args, kwargs)
        try:
            yield from fn(*args, **kwargs)
        except Exception as exc:
            raise _failed(exc, fn.__name__, "Your conversation is saved", request) from None

    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = {**fn.__annotations__, "page_request": gr.Request}
    return call
