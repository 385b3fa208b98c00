"""`advisor chat | ask | recommend | sessions`: the conversation on the command line."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from advisor.engine import Advisor, Answer, MessageError
from advisor.output import print_json, table
from advisor.writer import MODES

if TYPE_CHECKING:
    from advisor.sessions import SessionStore


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
    _common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_recommend)

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


def make_advisor(args: argparse.Namespace, session: str | None = None) -> Advisor:
    from advisor.config import load_settings
    from advisor.knowledge import load_knowledge
    from advisor.models import resolve_backend

    settings = load_settings()
    return Advisor(load_knowledge(settings.knowledge_dir), settings, resolve_backend(args.model),
                   session=session or args.session, mode=args.mode)


def print_answer_tail(answer: Answer) -> None:
    for flag in answer.flags:
        print(f"  ! {flag}")
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            print(f"  [{c['n']}] {c['title']} — {c['source']}")
    if answer.followups:
        print("\nYou could ask: " + " | ".join(answer.followups))


def cmd_ask(args: argparse.Namespace) -> int:
    advisor = make_advisor(args)
    if args.json:
        print_json(advisor.ask(args.question).to_dict())
        return 0
    print(f"[{advisor.backend.label}]")
    answer = advisor.ask(args.question, on_token=lambda t: print(t, end="", flush=True))
    print()
    print_answer_tail(answer)
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    """Without --session, each call starts from a blank profile (the scratch session `recommend`)."""
    scratch = args.session == "default"
    advisor = make_advisor(args, session="recommend" if scratch else args.session)
    if scratch and advisor.store.exists("recommend"):
        advisor.store.delete("recommend")
    if args.fit_weight is not None:
        if not 0 <= args.fit_weight <= 1:
            from advisor.cli import UserError

            raise UserError("--fit-weight must be between 0 and 1")
        profile = advisor.store.profile(advisor.session).model_copy(update={"fit_weight": args.fit_weight})
        advisor.store.save_state(advisor.session, profile, advisor.store.focus(advisor.session))
    answer = advisor.ask(args.about if "recommend" in args.about.lower()
                         else f"{args.about}. Which fields do you recommend for me?")
    if args.json:
        print_json({"profile": answer.profile, "recommendations": answer.recommendations,
                    "answer": answer.answer, "citations": answer.citations, "backend": answer.backend})
        return 0
    print(answer.answer)
    print_answer_tail(answer)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    advisor = make_advisor(args)
    history = advisor.store.messages(advisor.session)
    print(f"AI-safety career advisor — backend: {advisor.backend.label}; session: {advisor.session}"
          f"{f' (resumed, {len(history)} messages)' if history else ''}; mode: {advisor.mode}.")
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
            mode = command.removeprefix("/mode").strip()
            if mode in MODES:
                advisor.mode = mode
                print(f"mode: {mode}")
            else:
                print(f"modes: {', '.join(MODES)}")
            continue
        if command == "/profile":
            print(advisor.store.profile(advisor.session).describe())
            continue
        print("advisor> ", end="", flush=True)
        try:
            answer = advisor.ask(line, on_token=lambda t: print(t, end="", flush=True))
        except MessageError as exc:
            print(f"\n{exc}", file=sys.stderr)
            continue
        print()
        print_answer_tail(answer)


def cmd_profile(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from advisor.cli import UserError
    from advisor.config import load_settings
    from advisor.profile import Profile
    from advisor.sessions import SessionStore

    store = SessionStore(load_settings().sessions_db)
    profile = Profile() if args.clear else store.profile(args.session)
    data = profile.model_dump()
    for change in args.changes:
        key, sep, value = change.partition("=")
        group, _, sub = key.strip().partition(".")
        target = data.get("constraints") if group == "constraints" else data
        name = sub if group == "constraints" else group
        if not sep or not isinstance(target, dict) or name not in target:
            raise UserError(f"Bad --set {change!r}: keys are {', '.join(k for k in data if k != 'constraints')} "
                            f"and constraints.{{{', '.join(data['constraints'])}}}")
        target[name] = [v.strip() for v in value.split(",") if v.strip()] if isinstance(target[name], list) \
            else (value.strip() or None)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"Bad profile value: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc
    if args.changes or args.clear:
        store.save_state(args.session, profile, store.focus(args.session))
    if args.json:
        print_json(profile.model_dump())
    else:
        print(profile.describe())
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from advisor.cli import UserError
    from advisor.config import load_settings
    from advisor.sessions import SessionStore

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
        raise UserError(f"`advisor sessions {args.action}` needs a session name; see `advisor sessions list`")
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
    text = store.export_markdown(args.name, personal_plan(store, args.name))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"Wrote {args.output}")
    else:
        print(text)
    return 0


def personal_plan(store: SessionStore, name: str) -> str:
    """The plan part of an export: recommendations for the saved profile and the reading plan."""
    from advisor.config import load_settings
    from advisor.knowledge import load_knowledge
    from advisor.ranking import rank_fields
    from advisor.recommend import reading_plan, recommend

    knowledge = load_knowledge(load_settings().knowledge_dir)
    profile = store.profile(name)
    recs = recommend(knowledge, profile, rank_fields(knowledge))
    lines = [f"Profile: {profile.describe()}", "", "Fields to consider:"]
    for i, r in enumerate(recs, 1):
        lines.append(f"{i}. **{r.name}** (fit {r.fit:.2f}, safety against automation {r.safety:.2f})")
        lines += [f"   - {reason.text}" for reason in r.reasons]
    lines += ["", "Reading plan:"]
    lines += [f"- [ ] {p.title} — {p.authors}, {p.year} ({p.level}, ~{p.minutes} min) {p.url}"
              for p in reading_plan(knowledge, [r.field_id for r in recs], profile)]
    return "\n".join(lines)
