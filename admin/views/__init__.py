"""Views per programme: parse the request, call models/, render. Scoping goes through ``Scope``."""

from __future__ import annotations


def member_path(member_id: int) -> str:
    return f"/members/{member_id}"
