"""Invites: issue, revoke and reissue from the member page, the QR code, and the invites list.

An open invite link lets whoever opens it bind their Telegram account to the
member, so links and QR codes are shown only to roles that may issue invites.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import segno
from aiohttp import web
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from admin.auth import current_actor, current_scope
from admin.forms import int_or_none, path_id, see_other
from admin.keys import BOT_USERNAME, SANDBOX_CHAT_URL, SETTINGS
from admin.labels import MEMBER_FIELD_LABELS
from admin.listing import Column, Filter, ListSpec, label_options, org_filter
from admin.templating import render
from admin.views import member_path
from locales import N_
from models.errors import NotFound
from models.invites import INVITE_STATUS_LABELS, Invite, issue_invite, revoke_invite
from models.members import Member
from models.scope import Scope


@dataclass(frozen=True)
class InviteLinks:
    deep_link: str
    sandbox: str | None  # the same start payload in the sandbox's web chat


def invite_links(request: web.Request, invite: Invite) -> InviteLinks:
    sandbox_url = request.app[SANDBOX_CHAT_URL]
    return InviteLinks(
        deep_link=invite.deep_link(request.app[BOT_USERNAME]()),
        sandbox=f"{sandbox_url}?start={invite.code}" if sandbox_url else None,
    )


async def member_invites(scope: Scope, member: Member) -> list[Invite]:
    """The member's invites, newest first."""
    return list(await scope.invites().filter(member_id=member.id))


def current_invite(invites: list[Invite]) -> Invite | None:
    return next((invite for invite in invites if invite.status == "pending"), None)


def _with_status(queryset: QuerySet, status: str) -> QuerySet:
    """The database form of ``Invite.status``."""
    now = datetime.now(UTC)
    open_ = Q(used_at=None, revoked_at=None)
    conditions = {
        "pending": open_ & Q(expires_at__gt=now),
        "expired": open_ & Q(expires_at__lte=now),
        "used": Q(used_at__isnull=False),
        "revoked": Q(used_at=None, revoked_at__isnull=False),
    }
    return queryset.filter(conditions[status])


def _invite_list(request: web.Request) -> ListSpec:
    bot_username = request.app[BOT_USERNAME]()
    return ListSpec(
        name="invites",
        columns=(
            Column(
                "member",
                N_("Member"),
                lambda i: i.member.name,
                sort=("member__name",),
                href=lambda i: member_path(i.member_id),
            ),
            Column("branch", MEMBER_FIELD_LABELS["branch"], lambda i: i.member.branch.name),
            Column(
                "status", N_("Status"), lambda i: INVITE_STATUS_LABELS[i.status], translate=True
            ),
            Column("created", N_("Issued on"), lambda i: i.created_at, sort=("created_at",)),
            Column("expires", N_("Expires on"), lambda i: i.expires_at, sort=("expires_at",)),
            Column(
                "link",
                N_("Invitation link"),
                lambda i: i.deep_link(bot_username) if i.status == "pending" else None,
                personal=True,
            ),
        ),
        default_sort="-created",
        filters=(
            Filter(
                "status",
                N_("Status"),
                label_options(INVITE_STATUS_LABELS),
                _with_status,
                default="pending",
            ),
            org_filter("member__branch__path"),
        ),
        search_fields=("member__name",),
        select_related=("member__branch",),
    )


async def invite_list(request: web.Request) -> web.StreamResponse:
    listing = await _invite_list(request).bind(request, current_scope(request).invites())
    return render(request, "invites/list.html", {"listing": listing, "page": await listing.page()})


async def invite_export(request: web.Request) -> web.StreamResponse:
    listing = await _invite_list(request).bind(request, current_scope(request).invites())
    return await listing.export()


def _ttl(request: web.Request) -> timedelta:
    return timedelta(days=request.app[SETTINGS].invite_ttl_days)


async def issue(request: web.Request) -> web.StreamResponse:
    """Issue an invite; when one is open this is "reissue": the old one is revoked."""
    scope = current_scope(request)
    scope.require_write()
    member = await scope.member(path_id(request, "member_id"))
    await issue_invite(member, _ttl(request), current_actor(request))
    return see_other(f"{member_path(member.id)}#invite")


async def issue_many(request: web.Request) -> web.StreamResponse:
    """Invite several members at once (offered after an import), then list the new links."""
    scope = current_scope(request)
    scope.require_write()
    form = await request.post()
    member_ids = {int_or_none(value) for value in form.getall("member_id", [])}
    members = [await scope.member(member_id) for member_id in member_ids if member_id is not None]
    for member in members:
        await issue_invite(member, _ttl(request), current_actor(request))
    return see_other("/invites")


async def revoke(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    invite = await scope.invite(path_id(request, "invite_id"))
    await revoke_invite(invite, current_actor(request))
    return see_other(f"{member_path(invite.member_id)}#invite")


async def qr_code(request: web.Request) -> web.StreamResponse:
    scope = current_scope(request)
    scope.require_write()
    member = await scope.member(path_id(request, "member_id"))
    invite = current_invite(await member_invites(scope, member))
    if invite is None:
        raise NotFound(N_("This member has no open invitation."))
    image = io.BytesIO()
    segno.make(invite_links(request, invite).deep_link, error="m").save(
        image, kind="png", scale=8, border=2
    )
    return web.Response(body=image.getvalue(), content_type="image/png")
