"""Domain errors: a translatable message id plus format parameters.

Bot and panel render them with ``gettext(error.message).format(**error.params)``.
"""

from __future__ import annotations


class Label(str):
    """A parameter that is itself a message id (e.g. a status label), translated on render."""


class DomainError(Exception):
    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def render(self, gettext) -> str:
        params = {
            name: gettext(value) if isinstance(value, Label) else value
            for name, value in self.params.items()
        }
        return gettext(self.message).format(**params)


class NotFound(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class InviteError(DomainError):
    pass


class ValidationError(DomainError):
    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message, **params)
        self.field = field
