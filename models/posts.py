"""Service posts (认岗领岗): a community's posts, claimed by members who reported there.

A member with a confirmed registration in the community claims one or several open
posts; leaving a post needs a reason. A post may limit how many members hold it:
``ServicePost.taken`` counts the current holders and is only raised by a conditional
UPDATE (``taken < capacity``), so simultaneous claims never exceed the capacity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from locales import N_
from models import audit
from models.errors import DomainError, PermissionDenied, ValidationError
from models.members import Member
from models.org import OrgKind, OrgUnit
from models.registration import ServiceKind, is_registered_in
from models.text import clean_optional_text, clean_text

if TYPE_CHECKING:
    from models.scope import Scope

NAME_MAX = 100
DESCRIPTION_MAX = 500
REASON_MAX = 300


class ServicePost(Model):
    """A service post of a community that members claim."""

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[OrgUnit] = fields.ForeignKeyField(
        "models.OrgUnit", related_name="service_posts", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=NAME_MAX)
    description = fields.CharField(max_length=DESCRIPTION_MAX, default="")
    kind = fields.CharEnumField(ServiceKind, max_length=16, null=True)
    is_open = fields.BooleanField(default=True, db_index=True)
    capacity = fields.SmallIntField(null=True)  # NULL: any number of members
    taken = fields.SmallIntField(default=0)  # current holders
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "service_post"
        unique_together = (("community", "name"),)
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PostClaim(Model):
    """A member holding a service post, from claiming it until leaving it."""

    id = fields.IntField(primary_key=True)
    post: fields.ForeignKeyRelation[ServicePost] = fields.ForeignKeyField(
        "models.ServicePost", related_name="claims", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="post_claims", on_delete=fields.CASCADE
    )
    claimed_at = fields.DatetimeField(auto_now_add=True)
    left_at = fields.DatetimeField(null=True)
    leave_reason = fields.CharField(max_length=REASON_MAX, default="")
    # "<post id>:<member id>" while held, NULL once left: a member holds a post once at a time.
    active_key = fields.CharField(max_length=24, null=True, unique=True)

    class Meta:
        table = "post_claim"
        ordering = ["-id"]

    @property
    def active(self) -> bool:
        return self.left_at is None


def _clean_capacity(capacity: int | None) -> int | None:
    if capacity is not None and (not isinstance(capacity, int) or not 1 <= capacity <= 10_000):
        raise ValidationError(N_("Enter a number of people from 1 to 10000, or leave it empty."),
                              field="capacity")
    return capacity


async def _clean_name(community_id: int, name: str, post_id: int | None = None) -> str:
    name = clean_text(name, NAME_MAX, "name")
    if await ServicePost.filter(community_id=community_id, name=name).exclude(id=post_id).exists():
        raise ValidationError(N_("This community already has a post with this name."), field="name")
    return name


async def create_post(
    scope: Scope, community: OrgUnit, *, name: str, description: str = "",
    kind: ServiceKind | None = None, capacity: int | None = None,
) -> ServicePost:
    if community.kind != OrgKind.COMMUNITY:
        raise ValidationError(N_("Choose a community."), field="community")
    await scope.require_writable(community.id)
    post = await ServicePost.create(
        community=community, name=await _clean_name(community.id, name),
        description=clean_optional_text(description, DESCRIPTION_MAX, "description"),
        kind=ServiceKind(kind) if kind else None,
        capacity=_clean_capacity(capacity),
    )
    await audit.record(audit.Actor(admin=scope.user), "post.create", post, org_id=community.id,
                       after={"name": post.name, "capacity": post.capacity})
    return post


async def update_post(
    post: ServicePost, scope: Scope, *, name: str, description: str = "",
    kind: ServiceKind | None = None, capacity: int | None = None,
) -> ServicePost:
    await scope.require_writable(post.community_id)
    changes = {
        "name": await _clean_name(post.community_id, name, post.id),
        "description": clean_optional_text(description, DESCRIPTION_MAX, "description"),
        "kind": ServiceKind(kind) if kind else None, "capacity": _clean_capacity(capacity),
    }
    # The capacity cannot drop below the members who hold the post now.
    fits = Q(taken__lte=capacity) if capacity is not None else Q()
    if not await ServicePost.filter(Q(id=post.id), fits).update(**changes):
        raise ValidationError(N_("More members hold this post than that."), field="capacity")
    before = {"name": post.name, "capacity": post.capacity}
    await post.refresh_from_db()
    await audit.record(audit.Actor(admin=scope.user), "post.update", post, org_id=post.community_id,
                       before=before, after={"name": post.name, "capacity": post.capacity})
    return post


async def _set_open(
    post: ServicePost, scope: Scope, is_open: bool, action: str, refusal: str,
) -> ServicePost:
    await scope.require_writable(post.community_id)
    if not await ServicePost.filter(id=post.id, is_open=not is_open).update(is_open=is_open):
        raise DomainError(refusal)
    post.is_open = is_open
    await audit.record(audit.Actor(admin=scope.user), action, post, org_id=post.community_id,
                       before={"is_open": not is_open}, after={"is_open": is_open})
    return post


async def close_post(post: ServicePost, scope: Scope) -> ServicePost:
    """Stop new claims; members who hold the post keep it."""
    return await _set_open(post, scope, False, "post.close", N_("This post is already closed."))


async def reopen_post(post: ServicePost, scope: Scope) -> ServicePost:
    return await _set_open(post, scope, True, "post.reopen", N_("This post is already open."))


async def claim_post(post: ServicePost, member: Member) -> PostClaim:
    if not await is_registered_in(member, post.community_id):
        raise PermissionDenied(
            N_("Report to this community first: its posts are for members it has confirmed.")
        )
    key = f"{post.id}:{member.id}"
    if await PostClaim.filter(active_key=key).exists():
        raise DomainError(N_("You already hold this post."))
    place_left = Q(capacity__isnull=True) | Q(taken__lt=F("capacity"))
    try:
        async with in_transaction():
            if not await ServicePost.filter(Q(id=post.id, is_open=True), place_left).update(
                taken=F("taken") + 1
            ):
                raise DomainError(N_("This post is closed or has all the members it needs."))
            claim = await PostClaim.create(post=post, member=member, active_key=key)
            await audit.record(audit.Actor(member=member), "post.claim", claim,
                               org_id=post.community_id)
    except IntegrityError:  # the same member's double tap: the transaction gave the seat back
        raise DomainError(N_("You already hold this post.")) from None
    return claim


async def leave_post(
    claim: PostClaim, actor: audit.Actor, reason: str, *, scope: Scope | None = None,
) -> PostClaim:
    """The member gives up the post, or a secretary takes them off it; either way with a reason."""
    await claim.fetch_related("post")
    if actor.member is None or actor.member.id != claim.member_id:
        if scope is None or actor.admin is None:
            raise PermissionDenied(N_("Only the member who holds the post can leave it."))
        await scope.require_writable(claim.post.community_id)
    reason = clean_text(reason, REASON_MAX, "reason")
    now = datetime.now(UTC)
    async with in_transaction():
        if not await PostClaim.filter(id=claim.id, left_at=None).update(
            left_at=now, leave_reason=reason, active_key=None
        ):
            raise DomainError(N_("This post was already left."))
        await ServicePost.filter(id=claim.post_id, taken__gt=0).update(taken=F("taken") - 1)
        claim.left_at, claim.leave_reason, claim.active_key = now, reason, None
        await audit.record(actor, "post.leave", claim, org_id=claim.post.community_id,
                           after={"reason": reason})
    return claim


# --------------------------------------------------------------------------- queries


async def open_posts(community: OrgUnit) -> list[ServicePost]:
    return await ServicePost.filter(community_id=community.id, is_open=True)


async def posts_held_by(member: Member) -> list[PostClaim]:
    """The member's current claims, each with its post."""
    claims = PostClaim.filter(member_id=member.id, left_at=None)
    return await claims.select_related("post").order_by("id")


async def get_member_claim(claim_id: int, member: Member) -> PostClaim | None:
    """The claim if it is the member's own (ids from buttons are never trusted)."""
    return await PostClaim.get_or_none(id=claim_id, member_id=member.id)


async def leave_posts_in(member: Member, community_id: int, reason: str) -> list[PostClaim]:
    """The member leaves every post they hold in the community (e.g. on withdrawing the report)."""
    left = []
    for claim in await PostClaim.filter(member_id=member.id, left_at=None, post__community_id=community_id):
        left.append(await leave_post(claim, audit.Actor(member=member), reason))
    return left
