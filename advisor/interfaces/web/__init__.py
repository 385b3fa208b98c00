"""The web app: the advisor in a browser (Gradio), a thin face over the conversation service.

`build_ui(service)` returns the `gr.Blocks` (to launch, or to mount in another app); `launch(...)` serves it on
127.0.0.1 unless told otherwise. Gradio is imported only when one of them is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gradio as gr

    from advisor.chat.service import ConversationService


def build_ui(service: ConversationService, login_owner: Callable[[str], str] | None = None) -> gr.Blocks:
    """The page on `service`, shared by every browser tab; launches nothing. `login_owner` names the owner of a
    logged-in user's conversations (default: a keyed hash of the user name)."""
    from advisor.interfaces.web.app import build_ui as build

    return build(service, login_owner)


def launch(host: str = "127.0.0.1", port: int = 7860, service: ConversationService | None = None,
           **options: Any) -> Any:
    """Build the service (unless given) and the page, print the address and serve until interrupted."""
    from advisor.interfaces.web.server import launch as serve

    return serve(host=host, port=port, service=service, **options)


__all__ = ["build_ui", "launch"]
