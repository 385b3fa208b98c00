"""The chat layer: the conversation service (one turn = plan, tools, write, ground), its tools, sources and
grounding, sessions, model backends and the offline model. Builds on knowledge and search; imports no
interface."""
