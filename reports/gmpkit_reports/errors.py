"""The one exception type for bad input: it names the file and the field."""

from __future__ import annotations


class InputError(Exception):
    """Malformed or inconsistent input. str() is `FILE: FIELD: message`."""

    def __init__(self, path: str, field: str, message: str) -> None:
        super().__init__(f"{path}: {field}: {message}")
        self.path = path
        self.field = field
        self.message = message
