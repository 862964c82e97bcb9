"""Message ids for what the panel names: domain labels from models/, and member field names.

Templates get them as ``labels`` and translate at render time:
``{{ _(labels.member_type[member.member_type]) }}``.
"""

from __future__ import annotations

from locales import N_
from models.activities import ACTIVITY_STATUS_LABELS, SIGN_UP_STATUS_LABELS
from models.activity_series import WEEKDAY_LABELS as DAY_LABELS
from models.admins import ROLE_LABELS
from models.invites import INVITE_STATUS_LABELS
from models.members import MANAGEMENT_CATEGORY_LABELS, MEMBER_TYPE_LABELS
from models.org import ORG_KIND_LABELS
from models.outbox import OutboxStatus
from models.pledges import GRADE_LABELS, ITEM_KIND_LABELS, PLEDGE_STATUS_LABELS
from models.registration import REGISTRATION_STATUS_LABELS
from models.teams import MEMBERSHIP_STATUS_LABELS, TEAM_ROLE_LABELS
from models.wishes import SATISFACTION_LABELS, WISH_CATEGORY_LABELS, WISH_STATUS_LABELS

MEMBER_FIELD_LABELS = {
    "name": N_("Name"),
    "phone": N_("Phone"),
    "branch": N_("Branch"),
    "residence_community": N_("Residence community"),
    "building_unit": N_("Building / unit"),
    "work_unit": N_("Work unit"),
    "member_type": N_("Member type"),
    "management_category": N_("Management category"),
    "occupation": N_("Occupation"),
    "skills": N_("Skills"),
    "can_write": N_("Can write"),
}

# Audit-log actions shown in a pledge's review history.
PLEDGE_ACTION_LABELS = {
    "pledge.create": N_("Pledge started"),
    "pledge.submit": N_("Submitted for review"),
    "pledge.return": N_("Returned for revision"),
    "pledge.approve": N_("Approved"),
    "pledge.publish": N_("Published"),
    "pledge.half_year_summary": N_("Half-year summary written"),
    "pledge.half_year_review": N_("Half-year review recorded"),
    "pledge.assess": N_("Annual assessment recorded"),
}

BROADCAST_FIELD_LABELS = {
    "title": N_("Title"),
    "text": N_("Announcement"),
    "org": N_("Send to"),
    "member_type": N_("Member type"),
}

# What an outgoing message is about, by the programme its kind starts with ("wish.claimed").
OUTBOX_KIND_LABELS = {
    "broadcast": N_("Announcements"),
    "wish": N_("Micro-wish notifications"),
    "pledge": N_("Pledge notifications"),
}

# Where an outgoing message is (models.outbox).
OUTBOX_STATUS_LABELS = {
    OutboxStatus.QUEUED: N_("Queued"),
    OutboxStatus.SENDING: N_("Sending"),
    OutboxStatus.SENT: N_("Sent"),
    OutboxStatus.RETRY: N_("Waiting to retry"),
    OutboxStatus.DEAD: N_("Failed"),
    OutboxStatus.CANCELLED: N_("Cancelled"),
}

WISH_FIELD_LABELS = {
    "id": N_("No."),
    "text": N_("Wish"),
    "community": N_("Community"),
    "suggested_category": N_("Kind of help suggested by the resident"),
    "category": N_("Kind of help"),
    "service_standard": N_("Service standard"),
    "deadline": N_("Deadline"),
    "status": N_("Status"),
    "overdue": N_("Overdue"),
    "resident_name": N_("Resident's name"),
    "contact_phone": N_("Contact phone"),
    "proxy_entered": N_("Entered from paper"),
    "claimant": N_("Claimant"),
    "reason": N_("Reason"),
    "satisfaction": N_("Resident's satisfaction"),
    "created_at": N_("Received on"),
    "published_at": N_("Published on"),
    "fulfilled_at": N_("Fulfilled on"),
}

# Audit-log actions shown in a wish's timeline.
WISH_ACTION_LABELS = {
    "wish.submit": N_("Wish received"),
    "wish.publish": N_("Published on the wish wall"),
    "wish.reject": N_("Not accepted"),
    "wish.withdraw": N_("Withdrawn by the resident"),
    "wish.claim": N_("Claimed"),
    "wish.release": N_("Released back to the wall"),
    "wish.progress": N_("Progress note added"),
    "wish.done": N_("Marked as done by the claimant"),
    "wish.not_done": N_("Not done yet: back to the claimant"),
    "wish.fulfil": N_("Fulfilment confirmed"),
    "wish.rate": N_("Rated by the resident"),
    "wish.overdue": N_("Deadline passed: overdue alert"),
}

# The audit log's words for what an entry records (the action) and what it is about (the
# object's model). Tests fail on an entry without both (tests/conftest.py).
AUDIT_ACTION_LABELS = {
    **PLEDGE_ACTION_LABELS,
    **WISH_ACTION_LABELS,
    "pledge.item_add": N_("Pledge item added"),
    "pledge.item_update": N_("Pledge item changed"),
    "pledge.item_delete": N_("Pledge item removed"),
    "pledge.progress": N_("Keeping of the pledge logged"),
    "member.create": N_("Member added"),
    "member.update": N_("Member's details changed"),
    "member.bind_telegram": N_("Telegram account linked"),
    "member.leaderboard_opt_out": N_("Leaderboard choice changed"),
    "invite.issue": N_("Invite issued"),
    "invite.revoke": N_("Invite revoked"),
    "org_unit.create": N_("Unit added"),
    "notice_link.create": N_("Notice-board link created"),
    "notice_link.revoke": N_("Notice-board link revoked"),
    "honour_roll_link.create": N_("Roll-of-honour link created"),
    "honour_roll_link.revoke": N_("Roll-of-honour link revoked"),
    "card.award": N_("Card issued"),
    "card.revoke": N_("Card revoked"),
    "award_rule.create": N_("Award rule added"),
    "award_rule.update": N_("Award rule changed"),
    "broadcast.send": N_("Announcement sent"),
    "broadcast.cancel": N_("Announcement cancelled"),
    "registration.create": N_("Registered with the community"),
    "registration.confirm": N_("Registration confirmed"),
    "registration.decline": N_("Registration declined"),
    "registration.withdraw": N_("Registration withdrawn"),
    "post.create": N_("Post created"),
    "post.update": N_("Post changed"),
    "post.close": N_("Post closed to claims"),
    "post.reopen": N_("Post reopened to claims"),
    "post.claim": N_("Post claimed"),
    "post.leave": N_("Post given up"),
    "team.create": N_("Team created"),
    "team.update": N_("Team changed"),
    "team.request": N_("Asked to join the team"),
    "team.approve": N_("Request to join approved"),
    "team.decline": N_("Request to join declined"),
    "team.leave": N_("Left the team"),
    "team.appoint_leader": N_("Team leader appointed"),
    "team.demote_leader": N_("Team leader removed"),
    "team.link_group": N_("Group chat linked"),
    "team.unlink_group": N_("Group chat unlinked"),
    "team.notice": N_("Notice sent to the team"),
    "activity.create": N_("Activity created"),
    "activity.reschedule": N_("Activity rescheduled"),
    "activity.capacity": N_("Places changed"),
    "activity.cancel": N_("Activity cancelled"),
    "activity.sign_up": N_("Signed up for an activity"),
    "activity.cancel_sign_up": N_("Sign-up cancelled"),
    "activity.attendance": N_("Attendance recorded"),
    "activity_series.create": N_("Recurring activity planned"),
    "activity_series.stop": N_("Recurring activity stopped"),
}

AUDIT_OBJECT_LABELS = {
    "Member": N_("Member"),
    "Invite": N_("Invite"),
    "OrgUnit": N_("Organisation"),
    "Pledge": N_("Pledge"),
    "PledgeItem": N_("Pledge item"),
    "PledgeProgress": N_("Keeping of the pledge"),
    "NoticeLink": N_("Notice-board link"),
    "HonourRollLink": N_("Roll-of-honour link"),
    "Wish": N_("Micro-wish"),
    "PointCard": N_("Contribution card"),
    "AwardRule": N_("Award rule"),
    "Broadcast": N_("Broadcast"),
    "Registration": N_("Registration"),
    "ServicePost": N_("Service post"),
    "PostClaim": N_("Post claim"),
    "Team": N_("Team"),
    "TeamMembership": N_("Team membership"),
    "Activity": N_("Activity"),
    "SignUp": N_("Sign-up"),
    "ActivitySeries": N_("Recurring activity"),
}


def audit_action_label(action: str) -> str:
    """The message id naming an audit action; the code itself for one not named yet."""
    return AUDIT_ACTION_LABELS.get(action, action)


def audit_object_label(model: str) -> str:
    """The message id naming an audited model; its class name for one not named yet."""
    return AUDIT_OBJECT_LABELS.get(model, model)


# Community service (在职党员进社区报到, 认岗领岗, teams, activities).
COMMUNITY_FIELD_LABELS = {
    "id": N_("No."),
    "member": N_("Member"),
    "community": N_("Community"),
    "status": N_("Status"),
    "skills": N_("Skills"),
    "service_kinds": N_("Kinds of service offered"),
    "created_at": N_("Received"),
    "reviewed_at": N_("Decided on"),
    "reason": N_("Reason"),
    "post_name": N_("Post name"),
    "team_name": N_("Team name"),
    "description": N_("Description"),
    "kind": N_("Kind of service"),
    "capacity": N_("Places"),
    "taken": N_("Taken"),
    "signed_up": N_("Signed up"),
    "is_open": N_("Open to claims"),
    "takes_requests": N_("Takes requests to join"),
    "created": N_("Created"),
    "title": N_("Title"),
    "place": N_("Place"),
    "team": N_("Team"),
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "open_to_community": N_("Open to the whole community"),
    "frequency": N_("Repeats"),
    "weekday": N_("Day of the week"),
    "day_of_month": N_("Day of the month"),
    "start_time": N_("Start time"),
    "duration": N_("Duration (minutes)"),
    "starts_on": N_("First day"),
    "ends_on": N_("Last day"),
    "weeks_ahead": N_("Weeks planned ahead"),
    "active": N_("Active"),
    "occurrences": N_("Occurrences"),
}

# An activity series' weekday (0 is Monday), keyed as the form sends it.
WEEKDAY_LABELS = {str(number): label for number, label in DAY_LABELS.items()}

LABELS = {
    "registration_status": REGISTRATION_STATUS_LABELS,
    "activity_status": ACTIVITY_STATUS_LABELS,
    "signup_status": SIGN_UP_STATUS_LABELS,
    "membership_status": MEMBERSHIP_STATUS_LABELS,
    "team_role": TEAM_ROLE_LABELS,
    "community_field": COMMUNITY_FIELD_LABELS,
    "role": ROLE_LABELS,
    "member_type": MEMBER_TYPE_LABELS,
    "management_category": MANAGEMENT_CATEGORY_LABELS,
    "org_kind": ORG_KIND_LABELS,
    "invite_status": INVITE_STATUS_LABELS,
    "member_field": MEMBER_FIELD_LABELS,
    "broadcast_field": BROADCAST_FIELD_LABELS,
    "outbox_status": OUTBOX_STATUS_LABELS,
    "pledge_status": PLEDGE_STATUS_LABELS,
    "pledge_item_kind": ITEM_KIND_LABELS,
    "pledge_grade": GRADE_LABELS,
    "wish_status": WISH_STATUS_LABELS,
    "wish_category": WISH_CATEGORY_LABELS,
    "satisfaction": SATISFACTION_LABELS,
    "wish_field": WISH_FIELD_LABELS,
}
