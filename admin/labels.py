"""Message ids for what the panel names: domain labels from models/, and member field names.

Templates get them as ``labels`` and translate at render time:
``{{ _(labels.member_type[member.member_type]) }}``.
"""

from __future__ import annotations

from locales import N_
from models.admins import ROLE_LABELS
from models.invites import INVITE_STATUS_LABELS
from models.members import MANAGEMENT_CATEGORY_LABELS, MEMBER_TYPE_LABELS
from models.org import ORG_KIND_LABELS

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

LABELS = {
    "role": ROLE_LABELS,
    "member_type": MEMBER_TYPE_LABELS,
    "management_category": MANAGEMENT_CATEGORY_LABELS,
    "org_kind": ORG_KIND_LABELS,
    "invite_status": INVITE_STATUS_LABELS,
    "member_field": MEMBER_FIELD_LABELS,
}
