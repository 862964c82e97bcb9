"""The domain: Tortoise models and the rules that change them. No aiogram or aiohttp here."""

from models.activities import Activity, SignUp
from models.activity_reminders import ReminderSent
from models.activity_series import ActivitySeries
from models.admins import AdminSession, AdminUser, LoginAttempt
from models.audit import AuditEntry
from models.awards import AwardRule
from models.broadcasts import Broadcast
from models.invites import Invite
from models.members import Member, TelegramUser
from models.notices import HonourRollLink, NoticeLink
from models.org import OrgUnit, WorkUnit
from models.outbox import OutboxMessage
from models.pledges import Pledge, PledgeItem, PledgeProgress
from models.points import PointCard
from models.posts import PostClaim, ServicePost
from models.registration import Registration
from models.reports import Report
from models.teams import Team, TeamMembership
from models.updates import ProcessedUpdate
from models.wishes import Wish, WishProgress

__models__ = [
    OrgUnit, WorkUnit, Member, TelegramUser, Invite, AdminUser, AdminSession, LoginAttempt, AuditEntry,
    OutboxMessage,
    Broadcast,
    PointCard, Wish, WishProgress, Pledge, PledgeItem, PledgeProgress,
    NoticeLink, HonourRollLink,
    Registration, ServicePost, PostClaim, Team, TeamMembership, ActivitySeries, Activity, SignUp,
    ReminderSent, AwardRule, ProcessedUpdate, Report,
]
