"""`advisor chat | ask | recommend | profile | sessions`: the conversation on the command line, a thin
adapter that prints the conversation service's events."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from advisor.chat.events import MODES, Answer, AnswerText, Event, Notice, TurnFinished
from advisor.interfaces.terminal import print_json, table

if TYPE_CHECKING:  # importing the service at start-up would pull in the whole chat layer
    from advisor.chat.service import ConversationService


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="an interactive chat in the terminal")
    _common(p)
    p.set_defaults(handler=cmd_chat)

    p = sub.add_parser("ask", help="ask one question (one turn of a session)")
    p.add_argument("question")
    _common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("recommend", help="recommend fields from a description of you")
    p.add_argument("--about", required=True, help='free text, e.g. "backend engineer, 6 months runway, likes interp"')
    p.add_argument("--fit-weight", type=float, metavar="W",
                   help="0..1: how much fit to you matters against safety from automation (default 0.5, or from "
                        "your risk appetite)")
    p.add_argument("--session", default=None, help="merge into this session's profile and save the exchange "
                                                    "(default: nothing is saved)")
    p.add_argument("--mode", choices=MODES, default="detailed", help="answer style (default: detailed)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_recommend, model=None)

    p = sub.add_parser("profile", help="show or edit what the advisor knows about you in a session")
    p.add_argument("--session", default="default")
    p.add_argument("--set", dest="changes", action="append", default=[], metavar="KEY=VALUE",
                   help="e.g. skills=python,statistics or constraints.runway_months=6 (repeatable)")
    p.add_argument("--clear", action="store_true", help="forget the whole profile")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_profile)

    p = sub.add_parser("sessions", help="list, show, export or delete chat sessions")
    p.add_argument("action", choices=["list", "show", "export", "delete"])
    p.add_argument("name", nargs="?", help="the session (for show, export, delete)")
    p.add_argument("--output", "-o", help="with export: write the Markdown to this file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sessions)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--session", default="default", help="the session to continue (default: 'default')")
    p.add_argument("--model", help="offline, openai:<model>, openai-compatible:<model> or local (default: "
                                   "ADVISOR_MODEL, else offline)")
    p.add_argument("--mode", choices=MODES, default="detailed", help="answer style (default: detailed)")


def make_service(model: str | None) -> ConversationService:
    from advisor.chat.models import resolve_backend
    from advisor.chat.service import ConversationService
    from advisor.knowledge import load_knowledge
    from advisor.settings import load_settings

    settings = load_settings()
    knowledge = load_knowledge(settings.knowledge_dir)
    return ConversationService(knowledge, settings, resolve_backend(model, settings, knowledge))


def stream_to_terminal(events: Iterator[Event]) -> Answer:
    """Print a turn's grounded text as it comes, then its flags, sources and follow-ups."""
    answer: Answer | None = None
    for event in events:
        if isinstance(event, AnswerText):
            print(event.text, end="", flush=True)
        elif isinstance(event, Notice):
            print(f"\n  ! {event.text}\n", flush=True)
        elif isinstance(event, TurnFinished):
            answer = event.answer
    print()
    assert answer is not None
    print_answer_tail(answer)
    return answer


def print_answer_tail(answer: Answer) -> None:
    for flag in answer.flags:
        print(f"  ! {flag}")
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(f"  [{c.n}] {c.title} — {c.source}")
    if answer.followups:
        print("\nYou could ask: " + " | ".join(answer.followups))


def cmd_ask(args: argparse.Namespace) -> int:
    service = make_service(args.model)
    if args.json:
        print_json(service.answer(args.session, args.question, args.mode).to_dict())
        return 0
    print(f"[{service.backend.label}]")
    stream_to_terminal(service.ask(args.session, args.question, args.mode))
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from advisor.chat.service import settle

    service = make_service(None)
    events = service.recommend(args.session, args.about, args.fit_weight, args.mode)
    if args.json:
        answer = settle(events)
        print_json({"profile": answer.profile, "recommendations": answer.recommendations, "answer": answer.answer,
                    "citations": [c.model_dump() for c in answer.citations], "backend": answer.backend})
        return 0
    stream_to_terminal(events)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from advisor.errors import InputError

    service = make_service(args.model)
    session, mode = args.session, args.mode
    history = service.store.messages(session) if service.store.exists(session) else []
    print(f"AI-safety career advisor — backend: {service.backend.label}; session: {session}"
          f"{f' (resumed, {len(history)} messages)' if history else ''}; mode: {mode}.")
    print("Ask about fields, your career move, or readings. /mode concise|detailed|newcomer, /profile, /quit.")
    while True:
        try:
            line = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        command = line.strip()
        if command in ("/quit", "/exit", "quit", "exit"):
            return 0
        if command.startswith("/mode"):
            wanted = command.removeprefix("/mode").strip()
            if wanted in MODES:
                mode = wanted
                print(f"mode: {mode}")
            else:
                print(f"modes: {', '.join(MODES)}")
            continue
        if command == "/profile":
            print(service.store.profile(session).describe())
            continue
        print("advisor> ", end="", flush=True)
        try:
            stream_to_terminal(service.ask(session, line, mode))
        except InputError as exc:
            print(f"\n{exc}", file=sys.stderr)


def cmd_profile(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from advisor.chat.sessions import SessionStore
    from advisor.errors import InputError
    from advisor.knowledge.profile import Profile
    from advisor.settings import load_settings

    store = SessionStore(load_settings().sessions_db)
    profile = Profile() if args.clear else store.profile(args.session)
    data = profile.model_dump()
    for change in args.changes:
        key, sep, value = change.partition("=")
        group, _, sub = key.strip().partition(".")
        target = data.get("constraints") if group == "constraints" else data
        name = sub if group == "constraints" else group
        if not sep or not isinstance(target, dict) or name not in target:
            raise InputError(f"Bad --set {change!r}: keys are {', '.join(k for k in data if k != 'constraints')} "
                            f"and constraints.{{{', '.join(data['constraints'])}}}")
        target[name] = [v.strip() for v in value.split(",") if v.strip()] if isinstance(target[name], list) \
            else (value.strip() or None)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"Bad profile value: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc
    if args.changes or args.clear:
        store.save_state(args.session, profile, store.focus(args.session))
    if args.json:
        print_json(profile.model_dump())
    else:
        print(profile.describe())
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from advisor.chat.sessions import SessionStore
    from advisor.errors import InputError
    from advisor.settings import load_settings

    store = SessionStore(load_settings().sessions_db)
    if args.action == "list":
        rows = store.list()
        if args.json:
            print_json([r.__dict__ for r in rows])
        else:
            print(table(["session", "messages", "updated"], [[r.name, r.messages, r.updated] for r in rows])
                  if rows else "No sessions yet. Start one with `advisor chat` or `advisor ask`.")
        return 0
    if not args.name:
        raise InputError(f"`advisor sessions {args.action}` needs a session name; see `advisor sessions list`")
    if args.action == "delete":
        store.delete(args.name)
        print(f"Deleted session {args.name!r}.")
        return 0
    if args.action == "show":
        store.require(args.name)
        messages = store.messages(args.name)
        if args.json:
            print_json({"profile": store.profile(args.name).model_dump(),
                        "messages": [m.__dict__ for m in messages]})
        else:
            for m in messages:
                print(f"{'you' if m.role == 'user' else 'advisor'}> {m.content}\n")
        return 0
    store.require(args.name)
    text = make_service(None).plan_markdown(args.name)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"Wrote {args.output}")
    else:
        print(text)
    return 0
