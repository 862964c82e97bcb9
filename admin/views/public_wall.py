"""The public wish wall of a community: read-only, no login, no personal data, printable.

Its address carries a signed token, ``<community id>-<HMAC of the id with SECRET_KEY>``,
so a wall cannot be found by counting ids and no table is needed. Changing SECRET_KEY
changes every link (without a SECRET_KEY, the random key of each start does too).
"""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from admin.addresses import shared_url
from admin.keys import LOCALE, SECRET_KEY
from admin.templating import render
from locales import LOCALES, N_
from models.clock import local_today
from models.errors import NotFound
from models.org import OrgKind, OrgUnit
from models.wishes import TAKEN_STATUSES, public_wall

_MAC_HEX = 32  # 128 bits


def wall_token(secret: bytes, community_id: int) -> str:
    mac = hmac.new(secret, f"wish-wall:{community_id}".encode(), hashlib.sha256)
    return f"{community_id}-{mac.hexdigest()[:_MAC_HEX]}"


def community_id_of(secret: bytes, token: str) -> int | None:
    """The community a token was signed for, or None for a forged, damaged or made-up one."""
    community_id, _, _ = token.partition("-")
    if not (community_id.isascii() and community_id.isdigit()):
        return None
    expected = wall_token(secret, int(community_id))
    return int(community_id) if hmac.compare_digest(expected, token) else None


def wall_url(request: web.Request, community_id: int) -> str:
    return shared_url(request, "public.wall", token=wall_token(request.app[SECRET_KEY], community_id))


async def wish_wall(request: web.Request) -> web.StreamResponse:
    community_id = community_id_of(request.app[SECRET_KEY], request.match_info["token"])
    community = None
    if community_id is not None:
        community = await OrgUnit.get_or_none(id=community_id, kind=OrgKind.COMMUNITY)
    if community is None:
        raise NotFound(N_("There is no such wish wall."))
    # A shared link may name its language: ?lang=en (else the browser's languages decide).
    if request.query.get("lang") in LOCALES:
        request[LOCALE] = request.query["lang"]
    wishes = await public_wall(community)
    return render(
        request,
        "public/wall.html",
        {
            "community": community,
            "wishes": wishes,
            "taken": {wish.id for wish in wishes if wish.status in TAKEN_STATUSES},
            "as_of": local_today(),  # a printed wall says when it was printed
        },
    )
