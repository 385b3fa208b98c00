"""The faces of the advisor: the command line, the web app and the HTTP API. Each formats the conversation
service's events and translates errors; none holds logic of its own."""
