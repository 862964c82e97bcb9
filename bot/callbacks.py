"""CallbackData factories (short prefixes: Telegram allows 64 bytes of callback data)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from models.activities import SignUpStatus
from models.pledges import ItemKind
from models.wishes import Satisfaction, WishCategory


class MenuAction(StrEnum):
    HOME = "home"
    PROFILE = "profile"
    LANGUAGE = "lang"
    HELP = "help"
    CANCEL = "cancel"  # leave whatever conversation is going on
    MAKE_WISH = "wish"
    MY_WISHES = "mywish"
    WISH_WALL = "wall"
    CLAIMED_WISHES = "claimed"
    MY_PLEDGE = "pledge"
    COMMUNITY = "cs"
    POINTS = "pts"


class MenuCallback(CallbackData, prefix="m"):
    action: MenuAction


class LanguageCallback(CallbackData, prefix="l"):
    locale: str


# --------------------------------------------------------------------------- micro-wishes


class WishFormAction(StrEnum):
    SKIP_PHONE = "sp"
    SKIP_NAME = "sn"
    SUBMIT = "ok"


class WishFormCallback(CallbackData, prefix="wf"):
    action: WishFormAction


class WishCategoryChoice(CallbackData, prefix="wfc"):
    category: WishCategory | None = None  # None: "not sure"


class WishCommunityChoice(CallbackData, prefix="wfu"):
    community_id: int


class WishCommunityPage(CallbackData, prefix="wfp"):
    page: int


class MyWishAction(StrEnum):
    WITHDRAW = "w"  # asks to confirm
    WITHDRAW_CONFIRMED = "wy"


class MyWishCallback(CallbackData, prefix="wo"):
    action: MyWishAction
    wish_id: int


class WallCallback(CallbackData, prefix="ww"):
    page: int = 0
    category: WishCategory | None = None  # None: every category


class WallCategoriesCallback(CallbackData, prefix="wwc"):
    """Open the category filter of the wall."""


class WallClaimCallback(CallbackData, prefix="wk"):
    wish_id: int
    # Where the wall was, to show it again (without the wish) when the claim is refused.
    page: int = 0
    category: WishCategory | None = None


class ClaimedAction(StrEnum):
    VIEW = "v"
    PROGRESS = "p"
    RELEASE = "r"
    DONE = "d"


class ClaimedWishCallback(CallbackData, prefix="wm"):
    action: ClaimedAction
    wish_id: int


class WishConfirmCallback(CallbackData, prefix="wy"):
    """The resident confirms fulfilment, rating it in the same tap if ``satisfaction`` is set."""

    wish_id: int
    satisfaction: Satisfaction | None = None


class WishNotDoneCallback(CallbackData, prefix="wn"):
    """The resident says a wish marked done is not done yet."""

    wish_id: int


class WishPhotoCallback(CallbackData, prefix="wi"):
    """The resident asks to see the photo of a progress note on their wish."""

    note_id: int


class WishRateCallback(CallbackData, prefix="wz"):
    wish_id: int
    satisfaction: Satisfaction


# --------------------------------------------------------------------------- pledges


class PledgeAction(StrEnum):
    OPEN = "o"
    ADD = "a"
    TEMPLATES = "t"
    SUBMIT = "s"  # asks to confirm
    SUBMIT_CONFIRMED = "sy"
    SAVE = "v"  # the draft is saved as it is written: this only closes it
    HISTORY = "h"
    SUMMARY = "y"
    CANCEL = "c"


class PledgeCallback(CallbackData, prefix="p"):
    """An action on the member's own pledge of ``year``: no id, the member is the key."""

    action: PledgeAction
    year: int


class PledgeTemplateChoice(CallbackData, prefix="pt"):
    key: str


class PledgeKindChoice(CallbackData, prefix="pk"):
    kind: ItemKind


class TargetDateChoice(StrEnum):
    NONE = "n"
    END_OF_JUNE = "jun"
    END_OF_YEAR = "dec"


class PledgeDateChoice(CallbackData, prefix="pd"):
    choice: TargetDateChoice


class PledgeItemAction(StrEnum):
    OPEN = "o"
    EDIT = "e"
    DELETE = "d"  # asks to confirm
    DELETE_CONFIRMED = "dy"
    PROGRESS = "p"


class PledgeItemCallback(CallbackData, prefix="pi"):
    action: PledgeItemAction
    item_id: int


class PledgePhotoCallback(CallbackData, prefix="pf"):
    progress_id: int


# --------------------------------------------------------------------------- community service


class CommunityAction(StrEnum):
    HOME = "h"
    REGISTER = "r"
    SKIP_SKILLS = "ss"
    SUBMIT = "ok"
    POSTS = "p"
    MY_POSTS = "mp"
    UPCOMING = "u"
    MY_SIGNUPS = "ms"
    TEAMS = "t"
    WITHDRAW = "w"  # asks to confirm withdrawing the report
    WITHDRAW_CONFIRMED = "wy"


class CommunityCallback(CallbackData, prefix="c"):
    action: CommunityAction


class CommunityList(StrEnum):
    COMMUNITIES = "c"  # choosing the community to report to
    POSTS = "p"
    UPCOMING = "u"
    MY_SIGNUPS = "ms"
    TEAMS = "t"
    TEAM_ACTIVITIES = "ta"  # item: the team
    ROSTER = "r"  # item: the activity


class CommunityPage(CallbackData, prefix="cq"):
    """◀ / ▶ in a community-service list; ``item`` names the team or activity the list is of."""

    kind: CommunityList
    page: int
    item: int = 0


class RegCommunityChoice(CallbackData, prefix="cr"):
    community_id: int


class ServiceKindToggle(CallbackData, prefix="ck"):
    kind: WishCategory


class PostAction(StrEnum):
    CLAIM = "c"
    LEAVE = "l"


class PostCallback(CallbackData, prefix="cp"):
    action: PostAction
    item_id: int  # a post to claim, a claim to leave
    page: int = 0  # the page of the list the button was on


class ActivityAction(StrEnum):
    VIEW = "v"
    SIGN_UP = "s"
    CANCEL = "x"
    CHECK_IN = "i"
    COMING = "y"  # "I'll be there" under a reminder
    NOT_COMING = "n"  # "I can't come" under a reminder: cancels
    ROSTER = "r"  # a leader's list of sign-ups, to record attendance


class ActivityCallback(CallbackData, prefix="ca"):
    action: ActivityAction
    activity_id: int


class TeamAction(StrEnum):
    VIEW = "v"
    JOIN = "j"
    LEAVE = "l"
    REQUESTS = "r"
    ACTIVITIES = "a"  # a leader's list of the team's recent and coming activities
    NOTICE = "n"  # a leader starts writing a notice to the team
    NOTICE_SEND = "ns"  # "Send" under the notice's preview


class TeamCallback(CallbackData, prefix="ct"):
    action: TeamAction
    team_id: int


class JoinDecision(CallbackData, prefix="cj"):
    membership_id: int
    approve: bool


class AttendanceMark(CallbackData, prefix="cm"):
    """A leader records a sign-up's attendance (attended, excused or no_show)."""

    signup_id: int
    outcome: SignUpStatus
