"""The admin panel's application factory and route table."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path

from aiogram import Bot
from aiohttp import web

from admin import auth, i18n, security
from admin.errors import error_middleware
from admin.keys import BOT_USERNAME, FILES_BOT, SANDBOX_CHAT_URL, SECRET_KEY, SETTINGS
from admin.proxies import forwarded_middleware
from admin.templating import setup_templates
from admin.views import (
    account,
    audit,
    broadcasts,
    community,
    dashboard,
    delivery,
    honour_roll,
    imports,
    invites,
    members,
    org,
    photos,
    pledges,
    pledges_notice,
    pledges_review,
    points,
    public_wall,
    reports,
    shared_links,
    wishes,
)
from admin.views.health import setup_ops
from models.db import refresh_planner_statistics
from models.importer import MAX_BYTES
from xianfeng.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Room for the multipart envelope around an upload of MAX_BYTES; bigger bodies get a 413 page.
CLIENT_MAX_SIZE = MAX_BYTES + 256 * 1024


def create_admin_app(
    settings: Settings,
    *,
    bot_username: str | Callable[[], str],
    sandbox_chat_url: str | None = None,
    files_bot: Bot | None = None,
) -> web.Application:
    """Build the panel. The database must already be initialised by the caller.

    ``bot_username`` may be a callable when the name is only known once the bot
    has started (getMe); it is called whenever a deep link is built. ``files_bot`` fetches
    the photos members sent the bot (the caller closes it); without it they are not shown.
    """
    app = web.Application(
        client_max_size=CLIENT_MAX_SIZE,
        middlewares=[
            forwarded_middleware(settings.trusted_proxy_networks),  # first: the real client
            security.csrf_cookie_middleware,
            error_middleware,
            auth.session_middleware,
            i18n.locale_middleware,
            security.csrf_middleware,
        ],
    )
    app[SETTINGS] = settings
    if settings.secret_key:
        app[SECRET_KEY] = settings.secret_key.encode()
    else:
        log.warning(
            "SECRET_KEY is not set: using a random key, login forms open before a restart expire"
        )
        app[SECRET_KEY] = secrets.token_bytes(32)
    app[BOT_USERNAME] = bot_username if callable(bot_username) else (lambda: bot_username)
    app[SANDBOX_CHAT_URL] = sandbox_chat_url or ""
    if files_bot is not None:
        app[FILES_BOT] = files_bot
    setup_templates(app)
    app.on_response_prepare.append(security.add_security_headers)
    setup_ops(app, settings)  # request ids; /healthz /readyz /metrics past the other middlewares
    add_routes(app.router)
    app.on_startup.append(_refresh_planner_statistics)
    return app


async def _refresh_planner_statistics(app: web.Application) -> None:
    await refresh_planner_statistics()


def add_routes(router: web.UrlDispatcher) -> None:
    public = auth.public
    router.add_get("/", dashboard.dashboard, name="home")
    router.add_get("/login", public(auth.login_page), name="login")
    router.add_post("/login", public(auth.login))
    router.add_post("/logout", auth.logout, name="logout")
    router.add_post("/language", public(i18n.set_language), name="language")

    router.add_get("/members", members.member_list, name="members")
    router.add_get("/members/export.xlsx", members.member_export, name="members.export")
    router.add_get("/members/new", members.new_member_form, name="member.new")
    router.add_post("/members/new", members.create_member_view)
    router.add_get(r"/members/{member_id:\d+}", members.member_detail, name="member")
    router.add_get(r"/members/{member_id:\d+}/edit", members.edit_member_form, name="member.edit")
    router.add_post(r"/members/{member_id:\d+}/edit", members.update_member_view)
    router.add_post(r"/members/{member_id:\d+}/invites", invites.issue, name="member.invite")
    router.add_get(r"/members/{member_id:\d+}/invite.png", invites.qr_code, name="member.invite_qr")

    router.add_get("/invites", invites.invite_list, name="invites")
    router.add_get("/invites/export.xlsx", invites.invite_export, name="invites.export")
    router.add_post("/invites/issue", invites.issue_many, name="invites.issue")
    router.add_post(r"/invites/{invite_id:\d+}/revoke", invites.revoke, name="invite.revoke")

    router.add_get("/org", org.org_tree, name="org")
    router.add_post("/org/units", org.add_unit, name="org.add")

    router.add_get("/import", imports.import_page, name="imports")
    router.add_post("/import", imports.import_file)
    router.add_get("/import/template.xlsx", imports.template, name="imports.template")

    router.add_get("/pledges", pledges.pledge_list, name="pledges")
    router.add_get("/pledges/export.xlsx", pledges.pledge_export, name="pledges.export")
    router.add_get("/pledges/review", pledges.review_queue_list, name="pledge_queue")
    router.add_get("/pledges/review/export.xlsx", pledges.review_queue_export, name="pledge_queue.export")
    router.add_post("/pledges/bulk", pledges_review.bulk_view, name="pledges.bulk")
    router.add_get("/pledges/new", pledges.new_pledge_page, name="pledge.new")
    router.add_post("/pledges/new", pledges.start_member_pledge)
    router.add_post("/pledges/new/branch", pledges.start_branch_pledge, name="pledge.new_branch")
    router.add_get("/pledges/notice", pledges_notice.notice_page, name="pledges.notice")
    router.add_get("/pledges/notice/print", pledges_notice.notice_print, name="pledges.notice_print")
    router.add_post("/pledges/notice/links", pledges_notice.create_link, name="notice_links.create")
    router.add_post(r"/pledges/notice/links/{link_id:\d+}/revoke", shared_links.revoke_view(shared_links.NOTICE),
                    name="notice_link.revoke")
    router.add_get(r"/pledges/{pledge_id:\d+}", pledges.pledge_detail, name="pledge")
    router.add_get(r"/pledges/{pledge_id:\d+}/items", pledges.items_page, name="pledge.items")
    router.add_post(r"/pledges/{pledge_id:\d+}/items", pledges.add_item_view)
    router.add_post(r"/pledges/{pledge_id:\d+}/items/{item_id:\d+}", pledges.update_item_view, name="pledge.item")
    router.add_post(r"/pledges/{pledge_id:\d+}/items/{item_id:\d+}/delete", pledges.delete_item_view, name="pledge.item_delete")
    router.add_post(r"/pledges/{pledge_id:\d+}/template", pledges.apply_template_view, name="pledge.template")
    router.add_post(r"/pledges/{pledge_id:\d+}/submit", pledges.submit_view, name="pledge.submit")
    router.add_post(r"/pledges/{pledge_id:\d+}/approve", pledges_review.approve_view, name="pledge.approve")
    router.add_post(r"/pledges/{pledge_id:\d+}/return", pledges_review.return_view, name="pledge.send_back")
    router.add_post(r"/pledges/{pledge_id:\d+}/publish", pledges_review.publish_view, name="pledge.publish")
    router.add_post(r"/pledges/{pledge_id:\d+}/half-year", pledges_review.half_year_view, name="pledge.half_year")
    router.add_post(r"/pledges/{pledge_id:\d+}/assessment", pledges_review.assess_view, name="pledge.assess")
    router.add_get(r"/pledges/{pledge_id:\d+}/progress/{entry_id:\d+}/photo", photos.pledge_progress_photo,
                   name="pledge.progress_photo")
    router.add_get(r"/public/notice/{token}", public(pledges_notice.public_notice), name="public.notice")

    router.add_get("/broadcasts", broadcasts.broadcast_list, name="broadcasts")
    router.add_get("/broadcasts/export.xlsx", broadcasts.broadcast_export, name="broadcasts.export")
    router.add_get("/broadcasts/new", broadcasts.new_broadcast_form, name="broadcast.new")
    router.add_post("/broadcasts/new", broadcasts.submit_broadcast)
    router.add_get(r"/broadcasts/{broadcast_id:\d+}", broadcasts.broadcast_detail, name="broadcast")
    router.add_get(
        r"/broadcasts/{broadcast_id:\d+}/progress.json",
        broadcasts.broadcast_progress,
        name="broadcast.progress",
    )
    router.add_post(
        r"/broadcasts/{broadcast_id:\d+}/cancel", broadcasts.cancel, name="broadcast.cancel"
    )

    router.add_get("/delivery", delivery.delivery_status, name="delivery")
    router.add_get(
        "/delivery/failures.xlsx", delivery.failures_export, name="delivery_failures.export"
    )

    router.add_get("/wishes", wishes.wish_list, name="wishes")
    router.add_get("/wishes/export.xlsx", wishes.wish_export, name="wishes.export")
    router.add_get("/wishes/review", wishes.review_queue, name="wish_review")
    router.add_get(
        "/wishes/review/export.xlsx", wishes.review_export, name="wish_review.export"
    )
    router.add_get("/wishes/new", wishes.new_wish_form, name="wish.new")
    router.add_post("/wishes/new", wishes.create_wish_view)
    router.add_get(r"/wishes/{wish_id:\d+}", wishes.wish_detail, name="wish")
    router.add_get(r"/wishes/{wish_id:\d+}/progress/{note_id:\d+}/photo", photos.wish_note_photo,
                   name="wish.progress_photo")
    router.add_post(r"/wishes/{wish_id:\d+}/publish", wishes.publish, name="wish.publish")
    router.add_post(r"/wishes/{wish_id:\d+}/reject", wishes.reject, name="wish.reject")
    router.add_post(r"/wishes/{wish_id:\d+}/release", wishes.release, name="wish.release")
    router.add_post(r"/wishes/{wish_id:\d+}/fulfil", wishes.fulfil, name="wish.fulfil")
    router.add_post(r"/wishes/{wish_id:\d+}/reopen", wishes.reopen, name="wish.reopen")
    router.add_get("/public/wall/{token}", public(public_wall.wish_wall), name="public.wall")
    router.add_get("/public/honour-roll/{token}", public(honour_roll.public_honour_roll), name="public.honour_roll")

    c = community
    router.add_get("/community", c.registration_queue, name="community")
    router.add_get("/community/registrations/pending.xlsx", c.registration_queue_export, name="registration_queue.export")
    router.add_get("/community/registrations", c.registration_list, name="registrations")
    router.add_get("/community/registrations/export.xlsx", c.registration_export, name="registrations.export")
    router.add_get("/community/registrations/stats", c.registration_statistics, name="registrations.stats")
    router.add_get("/community/registrations/stats.xlsx", c.registration_statistics_export, name="registrations.stats_export")
    router.add_get(r"/community/registrations/{registration_id:\d+}", c.registration_detail, name="registration")
    router.add_post(r"/community/registrations/{registration_id:\d+}/confirm", c.registration_confirm, name="registration.confirm")
    router.add_post(r"/community/registrations/{registration_id:\d+}/decline", c.registration_decline, name="registration.decline")
    router.add_get("/community/posts", c.post_list, name="service_posts")
    router.add_get("/community/posts/export.xlsx", c.post_export, name="service_posts.export")
    router.add_get("/community/posts/new", c.new_post_form, name="service_post.new")
    router.add_post("/community/posts/new", c.create_post_view)
    router.add_get(r"/community/posts/{post_id:\d+}", c.post_detail, name="service_post")
    router.add_get(r"/community/posts/{post_id:\d+}/edit", c.edit_post_form, name="service_post.edit")
    router.add_post(r"/community/posts/{post_id:\d+}/edit", c.edit_post_view)
    router.add_post(r"/community/posts/{post_id:\d+}/close", c.post_close, name="service_post.close")
    router.add_post(r"/community/posts/{post_id:\d+}/reopen", c.post_reopen, name="service_post.reopen")
    router.add_get("/community/activities", c.activity_list, name="activities")
    router.add_get("/community/activities/export.xlsx", c.activity_export, name="activities.export")
    router.add_get("/community/activities/new", c.new_activity_form, name="activity.new")
    router.add_post("/community/activities/new", c.create_activity_view)
    router.add_get(r"/community/activities/{activity_id:\d+}", c.activity_detail, name="activity")
    router.add_get(r"/community/activities/{activity_id:\d+}/signups.xlsx", c.activity_signups_export, name="activity.signups_export")
    router.add_post(r"/community/activities/{activity_id:\d+}/reschedule", c.activity_reschedule, name="activity.reschedule")
    router.add_post(r"/community/activities/{activity_id:\d+}/cancel", c.activity_cancel, name="activity.cancel")
    router.add_post(r"/community/activities/{activity_id:\d+}/signups/{signup_id:\d+}/attendance", c.activity_attendance, name="activity.attendance")
    router.add_get("/community/series", c.series_list, name="activity_series")
    router.add_get("/community/series/export.xlsx", c.series_export, name="activity_series.export")
    router.add_get("/community/series/new", c.new_series_form, name="activity_series.new")
    router.add_post("/community/series/new", c.create_series_view)
    router.add_get(r"/community/series/{series_id:\d+}", c.series_detail, name="activity_series.detail")
    router.add_post(r"/community/series/{series_id:\d+}/stop", c.series_stop, name="activity_series.stop")
    router.add_get("/community/teams", c.team_list, name="teams")
    router.add_get("/community/teams/export.xlsx", c.team_export, name="teams.export")
    router.add_get("/community/teams/new", c.new_team_form, name="team.new")
    router.add_post("/community/teams/new", c.create_team_view)
    router.add_get(r"/community/teams/{team_id:\d+}", c.team_detail, name="team")
    router.add_get(r"/community/teams/{team_id:\d+}/edit", c.edit_team_form, name="team.edit")
    router.add_post(r"/community/teams/{team_id:\d+}/edit", c.edit_team_view)
    router.add_post(r"/community/teams/{team_id:\d+}/leader", c.team_leader, name="team.leader")
    router.add_post(r"/community/teams/{team_id:\d+}/leaders/{membership_id:\d+}/demote", c.team_demote, name="team.demote")
    router.add_post(r"/community/teams/{team_id:\d+}/requests/{membership_id:\d+}/approve", c.membership_approve, name="team.approve")
    router.add_post(r"/community/teams/{team_id:\d+}/requests/{membership_id:\d+}/decline", c.membership_decline, name="team.decline")

    router.add_get("/points", points.ledger, name="points")
    router.add_get("/points/export.xlsx", points.ledger_export, name="points.export")
    router.add_get("/points/new", points.new_card_form, name="point.new")
    router.add_post("/points/new", points.issue_card)
    router.add_get(r"/points/{card_id:\d+}", points.card_detail, name="point")
    router.add_post(r"/points/{card_id:\d+}/revoke", points.card_revoke, name="point.revoke")
    router.add_get("/points/awards", points.award_list, name="awards")
    router.add_get("/points/awards.xlsx", points.award_export, name="awards.export")
    router.add_post("/points/awards/rules", points.rule_create, name="award_rules")
    router.add_post(r"/points/awards/rules/{rule_id:\d+}", points.rule_update, name="award_rule")
    router.add_get("/points/leaderboard", points.leaderboard_page, name="leaderboard")
    router.add_get("/points/leaderboard.xlsx", points.leaderboard_export, name="leaderboard.export")
    router.add_get("/points/honour-roll", honour_roll.honour_roll_page, name="honour_roll")
    router.add_get("/points/honour-roll/links", honour_roll.links_page, name="honour_roll.links")
    router.add_post("/points/honour-roll/links", honour_roll.create_link, name="honour_roll_links.create")
    router.add_post(r"/points/honour-roll/links/{link_id:\d+}/revoke", shared_links.revoke_view(shared_links.HONOUR_ROLL),
                    name="honour_roll_link.revoke")
    router.add_get(shared_links.PATH, shared_links.shared_links_page, name="shared_links")

    router.add_get("/audit", audit.audit_list, name="audit")
    router.add_get("/audit/export.xlsx", audit.audit_export, name="audit.export")
    router.add_get(r"/audit/{entry_id:\d+}", audit.audit_detail, name="audit_entry")
    router.add_get("/account", account.account_page, name="account")
    router.add_post("/account", account.link_member)
    router.add_get("/reports", reports.report_list, name="reports")
    router.add_get("/reports/export.xlsx", reports.report_export, name="reports.export")
    router.add_post("/reports/build", reports.build_now, name="reports.build")
    router.add_get("/reports/yearly", reports.yearly_report, name="reports.yearly")
    router.add_get(r"/reports/{report_id:\d+}", reports.report_detail, name="report")
    router.add_get(r"/reports/{report_id:\d+}.xlsx", reports.report_download, name="report.xlsx")

    router.add_static("/static/", STATIC_DIR, name="static")
