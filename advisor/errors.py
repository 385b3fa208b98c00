"""One family of errors for everything a user can meet: each says what to do and carries its exit code.

Interfaces catch `AdvisorError` once and show its message (the CLI prints it and exits with `exit_code`;
the web app and the HTTP API turn it into a readable message). Nothing else translates errors.
"""

from __future__ import annotations


class AdvisorError(Exception):
    """A problem the advisor can explain; `str(error)` says what happened and what to do."""

    exit_code = 2

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class InputError(AdvisorError):
    """Something the user typed or passed cannot be used (bad value, unknown name, empty message)."""

    exit_code = 2


class DataError(AdvisorError):
    """The knowledge base, the prompts or a stored file is malformed; the message names the file and key."""

    exit_code = 1


class ServiceError(AdvisorError):
    """A part the advisor depends on is unavailable (the index, the embedding model, a model endpoint)."""

    exit_code = 1
