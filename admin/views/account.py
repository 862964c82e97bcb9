"""The user's own account page: which member record is theirs, so weekly reports reach them in the bot.

A panel user is linked to Telegram through their own member record: that member's Telegram
account was bound with a single-use invite, so a report never goes to an unverified chat.
"""

from __future__ import annotations

from aiohttp import web

from admin.auth import current_scope
from admin.forms import FormState, int_or_none, see_other
from admin.i18n import gettext_of
from admin.keys import USER
from admin.templating import render
from locales import N_
from models.errors import NotFound
from models.members import Member, TelegramUser


async def _page(request: web.Request, form: FormState | None = None, status: int = 200) -> web.Response:
    user = request[USER]
    member = await Member.get_or_none(id=user.member_id) if user.member_id else None
    bound = member is not None and await TelegramUser.filter(member_id=member.id).exists()
    form = form or FormState(values={"member_id": str(member.id) if member else ""})
    return render(request, "account.html", {"member": member, "bound": bound, "form": form}, status=status)


async def account_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


async def link_member(request: web.Request) -> web.StreamResponse:
    user = request[USER]
    form = await request.post()
    raw = str(form.get("member_id", "")).strip()
    gettext = gettext_of(request)
    state = FormState(values={"member_id": raw})
    if not raw:
        user.member = None
    else:
        member_id = int_or_none(raw)
        try:
            if member_id is None:
                raise NotFound(N_("No such member in your organisation."))
            user.member = await current_scope(request).member(member_id)
        except NotFound as error:
            state.errors["member_id"] = error.render(gettext)
            return await _page(request, state, status=400)
    await user.save(update_fields=["member_id"])
    return see_other("/account")
