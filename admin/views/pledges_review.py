"""Reviewing pledges: approve or return with guidance, publish (one or many), the half-year
review and the annual assessment.

Who may review what is decided by ``models.pledges`` (a branch secretary reviews members'
pledges, the sub-district committee branch pledges). The member is told through
``bot.notify_pledges``, queued in the same transaction as the change it reports, so there is
never a message about a change that was rolled back, nor a change without its message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from tortoise.transactions import in_transaction

from admin.auth import current_scope
from admin.forms import FormState, form_values, int_or_none, path_id, see_other
from admin.i18n import translate
from admin.security import local_path
from admin.templating import render
from admin.views.pledges import (
    ASSESS_FIELDS,
    HALF_YEAR_FIELDS,
    choice,
    detail_page,
    owner_name,
    pledge_path,
    refused,
)
from bot import notify_pledges
from locales import N_
from models.outbox import OutboxMessage
from models.pledges import (
    GRADE_LABELS,
    Grade,
    Pledge,
    approve,
    assess,
    publish,
    record_half_year_review,
    return_for_revision,
)
from models.scope import Scope


async def _reviewed_pledge(request: web.Request) -> Pledge:
    scope = current_scope(request)
    scope.require_write()
    return await scope.pledge(path_id(request, "pledge_id"))


async def _notified(
    change: Awaitable[Pledge],
    notify: Callable[[Pledge], Awaitable[OutboxMessage | None]],
) -> None:
    async with in_transaction():
        await notify(await change)


def approved(pledge: Pledge, scope: Scope) -> Awaitable[None]:
    return _notified(approve(pledge, scope), notify_pledges.pledge_approved)


def published(pledge: Pledge, scope: Scope) -> Awaitable[None]:
    return _notified(publish(pledge, scope), notify_pledges.pledge_published)


def returned(pledge: Pledge, scope: Scope, guidance: str) -> Awaitable[None]:
    return _notified(return_for_revision(pledge, scope, guidance), notify_pledges.pledge_returned)


async def _after(
    request: web.Request,
    pledge: Pledge,
    change: Awaitable[object],
    form: str | None = None,
    values: dict[str, str] | None = None,
) -> web.Response:
    """Back to the pledge when ``change`` went through; else the pledge again, saying why."""
    if refusal := await refused(request, change):
        forms = {form: FormState(values or {}, refusal.errors)} if form else None
        return await detail_page(
            request, pledge, forms=forms, alert=refusal.alert, status=refusal.status
        )
    return see_other(pledge_path(pledge.id))


async def approve_view(request: web.Request) -> web.StreamResponse:
    pledge = await _reviewed_pledge(request)
    return await _after(request, pledge, approved(pledge, current_scope(request)))


async def return_view(request: web.Request) -> web.StreamResponse:
    pledge = await _reviewed_pledge(request)
    values = form_values(await request.post(), ("guidance",))
    change = returned(pledge, current_scope(request), values["guidance"])
    return await _after(request, pledge, change, "return", values)


async def publish_view(request: web.Request) -> web.StreamResponse:
    pledge = await _reviewed_pledge(request)
    return await _after(request, pledge, published(pledge, current_scope(request)))


async def half_year_view(request: web.Request) -> web.StreamResponse:
    pledge = await _reviewed_pledge(request)
    values = form_values(await request.post(), HALF_YEAR_FIELDS)
    change = record_half_year_review(
        pledge,
        current_scope(request),
        leader_comment=values["leader_comment"],
        satisfied=int_or_none(values["satisfied"]),
        basic=int_or_none(values["basic"]),
        unsatisfied=int_or_none(values["unsatisfied"]),
    )
    notified = _notified(change, notify_pledges.pledge_half_year_reviewed)
    return await _after(request, pledge, notified, "half_year", values)


async def _assess(pledge: Pledge, scope: Scope, values: dict[str, str]) -> None:
    grade = choice(values["grade"], GRADE_LABELS, N_("Choose a grade."), "grade")
    change = assess(
        pledge,
        scope,
        grade=Grade(grade),
        satisfaction_score=int_or_none(values["satisfaction_score"]),
        comment=values["comment"],
    )
    await _notified(change, notify_pledges.pledge_assessed)


async def assess_view(request: web.Request) -> web.StreamResponse:
    pledge = await _reviewed_pledge(request)
    values = form_values(await request.post(), ASSESS_FIELDS)
    return await _after(
        request, pledge, _assess(pledge, current_scope(request), values), "assess", values
    )


# ---------------------------------------------------------------- bulk actions

BULK_ACTIONS: dict[str, Callable[[Pledge, Scope], Awaitable[None]]] = {
    "approve": approved,
    "publish": published,
}
BULK_DONE = {
    "approve": N_("Pledges approved: {count}"),
    "publish": N_("Pledges published: {count}"),
}


NOT_IN_SCOPE = N_("No such pledge in your organisation.")


@dataclass(frozen=True)
class BulkFailure:
    owner: str
    pledge_id: int
    reason: str


async def bulk_view(request: web.Request) -> web.StreamResponse:
    """Approve or publish the ticked pledges, each through the model on its own: report how
    many went through, and for each one that did not, why."""
    scope = current_scope(request)
    scope.require_write()
    form = await request.post()
    action = form_values(form, ("action",))["action"]  # a file field is no action (nor hashable)
    if action not in BULK_ACTIONS:
        raise web.HTTPBadRequest()
    ids = sorted(
        {pledge_id for value in form.getall("pledge_id", []) if (pledge_id := int_or_none(value))}
    )
    pledges = {
        p.id: p
        for p in await scope.pledges().filter(id__in=ids).select_related("member", "branch__parent")
    }
    done, failures = 0, []
    for pledge_id in ids:
        pledge = pledges.get(pledge_id)
        if pledge is None:  # gone, or never in this organisation: the same words as a 404
            failures.append(BulkFailure("", pledge_id, translate(request, NOT_IN_SCOPE)))
        elif refusal := await refused(
            request, BULK_ACTIONS[action](pledge, scope), report_all=True
        ):
            failures.append(BulkFailure(owner_name(pledge), pledge_id, refusal.message))
        else:
            done += 1
    return render(
        request,
        "pledges/bulk_done.html",
        {
            "done_message": BULK_DONE[action],
            "done": done,
            "failures": failures,
            "selected": len(ids),
            "back": local_path(form.get("next"), "/pledges"),
        },
    )
