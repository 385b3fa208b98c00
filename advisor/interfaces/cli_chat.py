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
    p.add_argument("action", choices=["list", "show", "export", "delete", "reset-store"],
                   help="reset-store: move an unreadable session store aside (kept, renamed) and start afresh")
    p.add_argument("name", nargs="?", help="the session (for show, export, delete)")
    p.add_argument("--output", "-o", help="with export: write the Markdown to this file (a new file)")
    p.add_argument("--force", action="store_true", help="with export -o: replace an existing file")
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
            withdrawn = " The partial answer above is withdrawn." if event.retract else ""
            print(f"\n  ! {event.text}{withdrawn}\n", flush=True)
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
            mine = " (your document, not the essay)" if c.kind == "user" else ""
            print(f"  [{c.n}] {c.title}{mine} — {c.source}")
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

    from advisor.chat.export import printable
    from advisor.chat.store import open_store
    from advisor.errors import InputError
    from advisor.knowledge.profile import LIMITS, Profile
    from advisor.settings import load_settings

    def change(profile: Profile) -> Profile:
        data = (Profile() if args.clear else profile).model_dump()
        keys = [k for k in data if k not in ("constraints", "notes")]
        constraint_keys = [k for k in data["constraints"] if k != "notes"]
        for change in args.changes:
            key, sep, value = change.partition("=")
            group, _, sub = key.strip().partition(".")
            target = data["constraints"] if group == "constraints" else data
            name = sub if group == "constraints" else group
            if not sep or name not in (constraint_keys if group == "constraints" else keys):
                raise InputError(f"Bad --set {change!r}: keys are {', '.join(keys)} and "
                                 f"constraints.{{{', '.join(constraint_keys)}}}")
            target[name] = [v.strip() for v in value.split(",") if v.strip()] if isinstance(target[name], list) \
                else (value.strip() or None)
            target.get("notes", {}).pop(name, None)
        try:
            edited = Profile.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(f"Bad profile value: {'.'.join(map(str, err['loc']))}: {err['msg']}") from exc
        for name, (low, high, unit, _) in LIMITS.items():  # typed by hand: out of range is an error, not a clamp
            if name in edited.constraints.notes and name not in profile.constraints.notes:
                raise InputError(f"Bad --set constraints.{name}: {unit} must be between {low} and {high}.")
        return edited

    store = open_store(load_settings())
    edited = bool(args.changes or args.clear)
    profile = store.edit_profile(args.session, change) if edited else store.profile(args.session)
    if args.json:
        print_json(profile.model_dump())
    else:
        print(printable(profile.describe()))
        for note in profile.all_notes():
            print(f"  note: {printable(note)}")
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from advisor.chat.export import one_line, printable
    from advisor.chat.store import SessionError, open_store, reading_order
    from advisor.errors import InputError
    from advisor.settings import load_settings

    settings = load_settings()
    store = open_store(settings)
    if args.action == "reset-store":
        return _reset_store(store)
    if args.action == "list":
        rows = store.list()
        if args.json:
            print_json([r.__dict__ for r in rows])
        else:
            print(table(["session", "messages", "updated"], [[one_line(r.name), r.messages, r.updated] for r in rows])
                  if rows else "No sessions yet. Start one with `advisor chat` or `advisor ask`.")
        return 0
    if not args.name:
        raise InputError(f"`advisor sessions {args.action}` needs a session name; see `advisor sessions list`")
    try:
        name = store.require(args.name)
    except SessionError as exc:
        raise SessionError(f"{exc} See `advisor sessions list` for yours.") from None
    if args.action == "delete":
        store.delete(name)
        print(f"Deleted session {name!r}.")
        return 0
    if args.action == "show":
        messages = reading_order(store.messages(name))
        if args.json:
            print_json({"profile": store.profile(name).model_dump(), "messages": [m.__dict__ for m in messages]})
        else:
            for m in messages:
                print(f"{'you' if m.role == 'user' else 'advisor'}> {printable(m.content)}\n")
        return 0
    text = make_service(None).plan_markdown(name)
    if args.output:
        _write_export(text, args.output, getattr(store, "path", None), args.force)
        print(f"Wrote {printable(args.output)}")
    else:
        print(text)
    return 0


def _write_export(text: str, output: str, store_path: object, force: bool) -> None:
    """Write an export to `output`: never onto the session store, onto an existing file only with --force, and
    whole or not at all (a new file is renamed into place once written)."""
    import os
    import tempfile
    from pathlib import Path

    from advisor.errors import InputError, ServiceError

    target = Path(output).expanduser()
    if isinstance(store_path, Path) and target.exists() and store_path.exists() and target.samefile(store_path):
        raise InputError(f"{output} is the session store itself; export to another file, e.g. -o session.md")
    if target.is_dir():
        raise InputError(f"{output} is a folder; name a file in it, e.g. -o {target / 'session.md'}")
    if not target.parent.is_dir():
        raise InputError(f"The folder {target.parent} does not exist; create it first or choose another -o.")
    if target.exists() and not force:
        raise InputError(f"{output} already exists; use --force to replace it, or choose another -o.")
    try:
        if target.exists() and not target.is_file():  # a device or a pipe: write into it as it is
            with target.open("w", encoding="utf-8") as out:
                out.write(text)
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as exc:
        raise ServiceError(f"Could not write {output}: {exc.strerror or exc}. Nothing was written there; the "
                           "session is unchanged (try another place, or free some space).") from exc


def _reset_store(store: object) -> int:
    from advisor.chat.sessions import SQLiteSessionStore
    from advisor.errors import InputError

    if not isinstance(store, SQLiteSessionStore):
        raise InputError("Sessions are in PostgreSQL (ADVISOR_DATABASE_URL is set): there is no store file to reset.")
    moved = store.reset()
    if moved is None:
        print(f"There is no session store at {store.path} yet; nothing to do.")
    else:
        print(f"Moved the session store aside to {moved} (nothing deleted); the next session starts a new store at "
              f"{store.path}.")
    return 0
