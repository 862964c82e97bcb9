"""Service posts (认岗领岗): the open posts of the member's community, claiming them,
the member's own posts and leaving one with a reason."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import community_keyboards as kb
from bot.callbacks import (
    CommunityAction,
    CommunityCallback,
    CommunityList,
    CommunityPage,
    PostAction,
    PostCallback,
)
from bot.handlers.common import ask_below, expect_text, show, stale_button
from bot.paging import page_of
from bot.states import CommunityInput
from bot.texts import excerpt
from bot.wish_keyboards import cancel_only
from models.audit import Actor
from models.members import Member
from models.posts import (
    REASON_MAX,
    ServicePost,
    claim_post,
    get_member_claim,
    leave_post,
    open_posts,
    posts_held_by,
)
from models.registration import RegistrationStatus, current_registration


def _seats(post: ServicePost) -> str:
    if post.capacity is None:
        return _("{taken} members").format(taken=post.taken)
    return _("{taken}/{capacity} members").format(taken=post.taken, capacity=post.capacity)


async def show_posts(query: CallbackQuery, member: Member, page: int = 0) -> None:
    registration = await current_registration(member)
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        await show(query, _("Service posts are for members whose report the community has confirmed."),
                   kb.back_only())
        return
    posts = page_of(await open_posts(registration.community), page)
    held = {claim.post_id for claim in await posts_held_by(member)}
    lines = [_("📌 <b>Service posts</b> · {community}").format(community=escape(registration.community.name))]
    if not posts.items:
        lines += ["", _("There are no open posts right now.")]
    for post in posts.items:
        mark = " ✅" if post.id in held else ""
        lines += ["", f"<b>{escape(post.name)}</b>{mark} · {_seats(post)}"]
        if post.description:
            lines.append(excerpt(post.description, 200))
    lines += posts.footer()
    await show(query, "\n".join(lines), kb.open_posts(posts, held))


async def posts_screen(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    await show_posts(query, member)
    await query.answer()


async def claim(query: CallbackQuery, callback_data: PostCallback, member: Member) -> None:
    registration = await current_registration(member)
    post = await ServicePost.get_or_none(id=callback_data.item_id)
    if post is None or registration is None or post.community_id != registration.community_id:
        await stale_button(query)
        return
    await claim_post(post, member)  # refusals (closed, full, held, not confirmed) reach the error handler
    await show_posts(query, member, callback_data.page)
    await query.answer(_("You now hold the post “{post}”. Thank you!").format(post=post.name))


async def show_my_posts(query: CallbackQuery, member: Member) -> None:
    claims = await posts_held_by(member)
    lines = [_("🧭 <b>My posts</b>")]
    if not claims:
        lines += ["", _("You hold no service post.")]
    lines += [f"• {escape(claim.post.name)}" for claim in claims]
    await show(query, "\n".join(lines), kb.my_posts(claims))


async def my_posts_screen(query: CallbackQuery, state: FSMContext, member: Member) -> None:
    await state.clear()
    await show_my_posts(query, member)
    await query.answer()


async def ask_leave_reason(
    query: CallbackQuery, callback_data: PostCallback, state: FSMContext, member: Member,
) -> None:
    claim = await get_member_claim(callback_data.item_id, member)
    if claim is None or not claim.active:
        await stale_button(query)
        return
    await claim.fetch_related("post")
    await state.set_state(CommunityInput.leave_reason)
    await state.set_data({"claim_id": claim.id})
    await ask_below(query, state, _("Why are you leaving the post “{post}” (at most {count} characters)?").format(
        post=escape(claim.post.name), count=REASON_MAX), cancel_only())
    await query.answer()


async def leave_reason_written(message: Message, state: FSMContext, member: Member) -> None:
    claim = await get_member_claim((await state.get_data())["claim_id"], member)
    if claim is None or not claim.active:
        await state.clear()
        await message.answer(_("You no longer hold this post."), reply_markup=kb.back_only())
        return
    await leave_post(claim, Actor(member=member), message.text)  # too long: the error handler says so
    await state.clear()
    await message.answer(_("You have left the post “{post}”. Thank you for your service.").format(
        post=escape(claim.post.name)), reply_markup=kb.back_only())


async def posts_paged(query: CallbackQuery, callback_data: CommunityPage, member: Member) -> None:
    await show_posts(query, member, callback_data.page)  # a page gone meanwhile: the nearest one
    await query.answer()


def create_router() -> Router:
    """Members only: the parent router filters."""
    router = Router(name=__name__)
    router.callback_query.register(posts_paged, CommunityPage.filter(F.kind == CommunityList.POSTS))
    router.callback_query.register(posts_screen, CommunityCallback.filter(F.action == CommunityAction.POSTS))
    router.callback_query.register(
        my_posts_screen, CommunityCallback.filter(F.action == CommunityAction.MY_POSTS))
    router.callback_query.register(claim, PostCallback.filter(F.action == PostAction.CLAIM))
    router.callback_query.register(ask_leave_reason, PostCallback.filter(F.action == PostAction.LEAVE))
    router.message.register(leave_reason_written, CommunityInput.leave_reason, F.text)
    router.message.register(expect_text, CommunityInput.leave_reason)
    return router
