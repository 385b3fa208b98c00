"""The page's layout and wiring: three tabs (the chat with its sources; the ranking chart with what-ifs and
explanations; the profile and plan), each control bound to a `WebHandlers` method. Imports Gradio, so it is
imported only when the web app is built.

"Download my plan" asks the server for the Markdown (made from the store on request) and the page saves it
from memory (a Blob): no copy of a conversation is written on the server, in Gradio's cache or elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gradio as gr

from advisor.chat.events import MODES
from advisor.interfaces.web.chart import chart_html, moves_markdown
from advisor.interfaces.web.chat_view import Conversation
from advisor.interfaces.web.escape import text
from advisor.interfaces.web.handlers import STARTERS, WebHandlers
from advisor.interfaces.web.notes import page_note, readable_errors, readable_stream
from advisor.interfaces.web.plan_view import RISK_CHOICES
from advisor.interfaces.web.scripts import COPY_JS, PAGE_JS, RESTORE_PENDING_JS, SAVED_CODE_JS
from advisor.interfaces.web.sources_view import EMPTY
from advisor.interfaces.web.style import CHART_JS, CITATION_JS, CSS
from advisor.interfaces.web.theme import theme_css
from advisor.interfaces.web.views_view import views_html
from advisor.knowledge.ranking import DEFAULT_WEIGHTS, FACTORS, Factor, rank_fields
from advisor.knowledge.views import view_matrix

if TYPE_CHECKING:
    from advisor.chat.service import ConversationService

TITLE = "AI-safety career advisor"
PURPOSE = ("Which technical AI-safety research fields are safer bets against being automated by AI, why each "
           "ranks where it does, and what to read. Every claim points at its source.")
SEARCH_KINDS = [("everything", "everything"), ("the essay", "essay"), ("field cards", "field"),
                ("readings", "reading"), ("other assessments", "assessment"), ("your documents", "user")]
MODE_HELP = "concise: short · detailed: with reasons · newcomer: explains the terms"
PLAN_FILE = "my-ai-safety-plan.md"
WELCOME = ("### Which AI-safety field is a safer bet for you?\n"
           "Tell me your background, what you enjoy and how much time you have. I'll suggest research fields "
           "less likely to be automated soon, say why, and show the source of every claim. Or start with one of "
           "these:")
INPUT_HINT = "Type here: Enter sends, Shift+Enter adds a line"
# the chat fills the window's height, leaving room for the header, the tabs and the input below it
CHAT_HEIGHT = "max(300px, calc(100dvh - 370px))"
SAVE_TEXT_JS = f"""(text) => {{
  if (!text) return "";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], {{type: "text/markdown;charset=utf-8"}}));
  link.download = "{PLAN_FILE}";
  document.body.appendChild(link);
  link.click();
  setTimeout(() => {{ URL.revokeObjectURL(link.href); link.remove(); }}, 1000);
  return "";
}}"""


def header_html(backend: str, n_fields: int) -> str:
    badges = "".join(f"<span class='adv-badge'>{b}</span>" for b in (
        f"Model: {text(backend)}", f"Sources: the essay, {n_fields} field cards, readings",
        "Runs on this machine"))
    return (f"<style>{theme_css()}{CSS}</style><header class='adv-header'><div><h1>{TITLE}</h1>"
            f"<p>{text(PURPOSE)}</p></div>"
            f"<div class='adv-badges' id='adv-backend'>{badges}</div></header>")


def slider_label(f: Factor) -> str:
    return f"{f.label} ({'from the essay' if f.source == 'essay' else 'our model'})"


def build_ui(service: ConversationService, login_owner: Callable[[str], str] | None = None) -> gr.Blocks:
    """The web app on `service` (shared by every browser tab); nothing is launched here. `login_owner` turns a
    logged-in user name into the owner of their conversations (default: a keyed hash of the name)."""
    h = WebHandlers(service, login_owner)
    k = service.knowledge
    fields = sorted(((c.name, c.id) for c in k.fields), key=lambda x: x[0].lower())
    baseline = rank_fields(k)

    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=True) as demo:
        conv = gr.State(None)
        gr.HTML(header_html(service.backend.label, len(k.fields)), elem_id="adv-top", js_on_load=PAGE_JS)
        with gr.Tabs(selected="chat", overflow_behavior="wrap") as tabs:
            # --- 1. the conversation -----------------------------------------------------------------------
            with gr.Tab("Talk it through", id="chat"), gr.Row(equal_height=False, elem_id="adv-chat-row"):
                with gr.Column(scale=3, min_width=320, elem_id="adv-chat-col"):
                    chatbot = gr.Chatbot(
                        label="Conversation", show_label=False, elem_id="adv-chat", height=CHAT_HEIGHT,
                        sanitize_html=True, allow_tags=False, latex_delimiters=[], render_markdown=True,
                        layout="bubble", autoscroll=False, placeholder=WELCOME,
                        examples=[{"text": s} for s in STARTERS],
                        feedback_options=("Like", "Dislike"), buttons=["copy"])
                    with gr.Column(elem_id="adv-compose"):  # pinned to the bottom of a phone's screen
                        status = gr.Markdown("", elem_id="adv-status")
                        gr.HTML("<p id='adv-count' hidden aria-live='polite'></p>"
                                "<p id='adv-restored' class='adv-note' hidden role='status'></p>", padding=False,
                                elem_id="adv-count-box")
                        with gr.Row(equal_height=True, elem_id="adv-compose-row"):
                            message = gr.Textbox(placeholder=INPUT_HINT, label="Your message", show_label=False,
                                                 lines=1, max_lines=6, scale=5, elem_id="adv-input",
                                                 container=False, interactive=False,
                                                 html_attributes=gr.InputHTMLAttributes(enterkeyhint="send"))
                            send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="adv-send")
                    code_line = gr.HTML("", elem_id="adv-code-line", padding=False, js_on_load=COPY_JS)
                    saved_code = gr.Textbox(visible=False, elem_id="adv-saved-code")
                    with gr.Row(elem_id="adv-followups"):
                        followups = [gr.Button(q, size="sm", elem_classes=["adv-followup"], visible=False)
                                     for q in STARTERS]
                    with gr.Row(visible=False, elem_id="adv-comment-row") as comment_row:
                        comment = gr.Textbox(label="Comment on this answer (optional)", scale=4,
                                             elem_id="adv-comment")
                        comment_send = gr.Button("Save comment", scale=1, min_width=100)
                    feedback_note = gr.Markdown("", elem_id="adv-feedback-note")
                    with gr.Row(equal_height=False):
                        mode = gr.Radio(list(MODES), value="detailed", label="Answer style", info=MODE_HELP,
                                        scale=3, elem_id="adv-mode")
                        new = gr.Button("New conversation", size="sm", scale=1, min_width=140, elem_id="adv-new")
                    with gr.Accordion("Resume a conversation", open=False, elem_id="adv-resume"):
                        session_note = gr.Markdown("")
                        with gr.Row(equal_height=True):
                            code = gr.Textbox(label="Conversation code", placeholder="web-… or a CLI session "
                                              "name such as default", scale=3)
                            resume = gr.Button("Resume", scale=1, min_width=90)
                    with gr.Accordion("Your conversations", open=False, elem_id="adv-mine") as mine_box:
                        mine = gr.Markdown("", elem_id="adv-mine-list")
                        mine_refresh = gr.Button("Show my conversations", size="sm", elem_id="adv-mine-go")
                with gr.Column(scale=2, min_width=300):
                    understood = gr.Markdown(h.understood(Conversation(session="-")), elem_id="adv-understood")
                    gr.Markdown("### Sources")
                    sources = gr.HTML(EMPTY, js_on_load=CITATION_JS, elem_id="adv-sources", max_height=620)
                    with gr.Accordion("Search the sources (the essay, field cards, readings, your documents)",
                                      open=False, elem_id="adv-search"):
                        with gr.Row(equal_height=True):
                            query = gr.Textbox(show_label=False, placeholder="e.g. automated eval generation",
                                               scale=3, container=False, elem_id="adv-query")
                            kind = gr.Dropdown(SEARCH_KINDS, value="everything", show_label=False, scale=1,
                                               container=False, min_width=120, elem_id="adv-kind")
                        search = gr.Button("Search", size="sm", elem_id="adv-search-go")
                        found = gr.HTML("", elem_id="adv-found")
            # --- 2. the ranking ----------------------------------------------------------------------------
            with gr.Tab("Why fields rank where they do", id="ranking"), gr.Row(equal_height=False,
                                                                                elem_id="adv-rank-row"):
                with gr.Column(scale=3, min_width=320, elem_id="adv-chart-col"):
                    chart = gr.HTML(chart_html(k, baseline), js_on_load=CHART_JS, elem_id="adv-chart")
                    moved = gr.Markdown(moves_markdown(k, {}, []), elem_id="adv-moved")
                    ask_change = gr.Button("Ask the advisor about this change", interactive=False,
                                           elem_id="adv-ask-change")
                    with gr.Accordion("What others say: each field by each source", open=True):
                        gr.HTML(views_html(view_matrix(k, baseline)), elem_id="adv-views")
                with gr.Column(scale=2, min_width=300, elem_id="adv-whatif-col"):
                    with gr.Accordion("What-ifs: weigh the factors, or pick a scenario", open=True,
                                      elem_id="adv-whatifs"):
                        rank_note = gr.HTML("", elem_id="adv-rank-note", padding=False)
                        sliders = [gr.Slider(0, 10, value=f.default_weight, step=0.5, label=slider_label(f),
                                             info=f.meaning, elem_id=f"adv-w-{f.name}") for f in FACTORS]
                        scenarios = gr.CheckboxGroup([(s.name, s.id) for s in k.scenarios],
                                                     label="Named what-ifs", elem_id="adv-scenarios")
                        reset = gr.Button("Back to the defaults", size="sm")
                    pick = gr.Dropdown(fields, value=None, label="Explain a field (or click it in the chart)",
                                       elem_id="adv-pick")
                    explanation = gr.HTML("", elem_id="adv-explanation")
            # --- 3. profile and plan -----------------------------------------------------------------------
            with gr.Tab("Your profile and plan", id="plan"), gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("### Your profile\nWhat the advisor understood from the chat. Change anything; "
                                "the recommendations follow.")
                    interests = gr.Dropdown(fields, multiselect=True, label="Fields you are interested in",
                                            elem_id="adv-interests")
                    dislikes = gr.Dropdown(fields, multiselect=True, label="Fields you do not want",
                                           elem_id="adv-dislikes")
                    skills = gr.Textbox(label="Skills (comma-separated)", elem_id="adv-skills")
                    background = gr.Textbox(label="Background (comma-separated)", elem_id="adv-background")
                    lacks = gr.Textbox(label="Things you can't or won't do (comma-separated)", elem_id="adv-lacks",
                                       info="e.g. programming, moving abroad. Fields that ask for them come last; "
                                            "take one out when it no longer holds.")
                    with gr.Row():
                        runway = gr.Number(label="Runway (months)", precision=0, minimum=0, maximum=600,
                                           elem_id="adv-runway")
                        hours = gr.Number(label="Hours per week", precision=0, minimum=0, maximum=100,
                                          elem_id="adv-hours")
                    location = gr.Textbox(label="Location", elem_id="adv-location")
                    with gr.Row():
                        salary = gr.Checkbox(label="I need a salary", elem_id="adv-salary")
                        risk = gr.Radio(RISK_CHOICES, value="not said", label="Risk appetite",
                                        elem_id="adv-risk")
                    fit = gr.Slider(0, 1, value=0.5, step=0.05, label="Fit to you vs safety from automation",
                                    info="0: only safety from automation matters · 1: only fit to you",
                                    elem_id="adv-fit")
                    save = gr.Button("Update my recommendations", variant="primary", elem_id="adv-save")
                    plan_note = gr.HTML("", elem_id="adv-plan-note", padding=False)
                with gr.Column(scale=3, min_width=320):
                    gr.Markdown("### Recommended for you")
                    recs = gr.HTML("", elem_id="adv-recs")
                    gr.Markdown("### Reading plan")
                    readings = gr.HTML("", elem_id="adv-readings")
                    ticks = gr.CheckboxGroup([], label="Tick what you have read", elem_id="adv-ticks")
                    download = gr.Button("Download my plan (Markdown)", elem_id="adv-download")
                    plan_text = gr.Textbox(visible=False, elem_id="adv-plan-text")

        form = [interests, dislikes, skills, background, runway, hours, location, salary, risk, fit, lacks]
        chat_out = [chatbot, sources, *followups, understood, status, conv]
        plan_out = [recs, ticks, readings, understood, conv]
        what_if = [*sliders, scenarios]

        # the chat
        load_plan: dict[str, Any] = {"fn": readable_errors(h.load_profile), "inputs": conv,
                                     "outputs": [*form, *plan_out, code_line], "api_visibility": "private",
                                     "show_progress": "hidden"}
        quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}

        def noted(event: Any, note: gr.Component) -> Any:
            """A failed event says why in the tab's note (no pop-up, no error badges over the content)."""
            event.failure(page_note, outputs=note, **quiet)
            return event

        # the message box opens once the tab's conversation is settled (a question sent before would start another)
        noted(demo.load(readable_errors(h.start), inputs=[conv, saved_code],
                        outputs=[*chat_out, session_note, message], js=SAVED_CODE_JS, **quiet),
              status).then(**load_plan).then(None, js=RESTORE_PENDING_JS, **quiet)
        ask = readable_stream(h.ask)
        noted(gr.on([send.click, message.submit], ask, inputs=[message, mode, conv], outputs=[message, *chat_out],
                    api_name="ask", concurrency_limit=8, show_progress="hidden"), status).then(**load_plan)
        for button in followups:
            noted(button.click(ask, inputs=[button, mode, conv], outputs=[message, *chat_out], **quiet),
                  status).then(**load_plan)

        def example_text(evt: gr.SelectData) -> str:
            return str(evt.value.get("text", "")) if isinstance(evt.value, dict) else str(evt.value)

        noted(chatbot.example_select(example_text, outputs=message, **quiet).then(
            ask, inputs=[message, mode, conv], outputs=[message, *chat_out], **quiet), status).then(**load_plan)
        show_thumbs = {"fn": h.thumbs, "inputs": conv, "outputs": chatbot, "api_visibility": "private"}
        noted(new.click(readable_errors(h.new_conversation), outputs=[*chat_out, session_note, feedback_note],
                        api_name="new_conversation", show_progress="hidden"), status).then(
            **load_plan).then(**show_thumbs)
        noted(resume.click(readable_errors(h.resume), inputs=code, outputs=[*chat_out, session_note, feedback_note],
                           api_name="resume", show_progress="hidden"), session_note).then(
            **load_plan).then(**show_thumbs)
        noted(gr.on([mine_refresh.click, mine_box.expand], readable_errors(h.my_conversations), outputs=mine,
                    api_name="my_conversations", show_progress="hidden"), mine)

        def on_like(state: Conversation | None, data: gr.LikeData) -> tuple[Any, ...]:
            return h.feedback(state, data.index, data.liked)

        noted(chatbot.like(readable_errors(on_like), inputs=conv, outputs=[comment_row, feedback_note, conv],
                           **quiet), feedback_note)
        noted(comment_send.click(readable_errors(h.feedback_comment), inputs=[conv, comment],
                                 outputs=[comment_row, feedback_note, comment, conv], **quiet), feedback_note)
        # feedback for API clients (the page uses the thumbs under each answer)
        rate_turn = gr.Number(visible=False)
        rate_value = gr.Textbox(visible=False)
        rate_comment = gr.Textbox(visible=False)
        rate = gr.Button(visible=False)
        rate.click(readable_errors(h.rate), inputs=[conv, rate_turn, rate_value, rate_comment],
                   outputs=[feedback_note, conv], api_name="feedback")

        noted(gr.on([search.click, query.submit], readable_errors(h.search), inputs=[query, kind], outputs=found,
                    api_name="search", show_progress="hidden"), found)

        # the ranking
        noted(gr.on([s.change for s in sliders] + [scenarios.change], readable_errors(h.redraw),
                    inputs=[*what_if, pick], outputs=[chart, moved, explanation, ask_change, rank_note],
                    api_name="rank", trigger_mode="always_last", show_progress="hidden"), rank_note)
        noted(pick.input(readable_errors(h.select_field), inputs=[pick, *what_if],
                         outputs=[pick, chart, explanation], api_name="explain", show_progress="hidden"), rank_note)

        def on_chart_click(fq: float, ei: float, rt: float, hi: float, chosen: list[str] | None,
                           evt: gr.EventData) -> tuple[Any, ...]:
            field = getattr(evt, "_data", {}).get("field") if evt is not None else None
            return h.select_field(field, fq, ei, rt, hi, chosen)

        noted(chart.click(readable_errors(on_chart_click), inputs=what_if, outputs=[pick, chart, explanation],
                          **quiet), rank_note)
        reset.click(lambda: [*DEFAULT_WEIGHTS.values(), []], outputs=what_if, api_visibility="private")
        noted(ask_change.click(readable_errors(h.change_question), inputs=[*what_if, pick], outputs=message,
                               **quiet), rank_note).success(
            lambda: gr.Tabs(selected="chat"), outputs=tabs, api_visibility="private").then(
            ask, inputs=[message, mode, conv], outputs=[message, *chat_out], api_visibility="private",
            show_progress="hidden").then(
            **load_plan)

        # the profile and plan
        save_profile = readable_errors(h.save_profile)
        for saving in (save.click(save_profile, inputs=[conv, *form], outputs=plan_out, api_name="profile",
                                  show_progress="hidden"),
                       gr.on([interests.input, dislikes.input, salary.input, risk.input, fit.release, skills.submit,
                              background.submit, lacks.submit, location.submit, runway.submit, hours.submit],
                             save_profile,
                             inputs=[conv, *form], outputs=plan_out, trigger_mode="always_last", **quiet),
                       ticks.input(readable_errors(h.tick_readings), inputs=[conv, ticks], outputs=plan_out,
                                   api_name="readings_read", show_progress="hidden")):
            noted(saving, plan_note).success(lambda: "", outputs=plan_note, **quiet)
        noted(download.click(readable_errors(h.plan_markdown), inputs=conv, outputs=plan_text, api_name="plan",
                             show_progress="hidden"), plan_note).success(
            None, inputs=plan_text, outputs=plan_text, js=SAVE_TEXT_JS, api_visibility="private")
    demo.queue(default_concurrency_limit=8)
    return demo
