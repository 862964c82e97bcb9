from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.admins import Role
from models.members import ManagementCategory, MemberType
from models.org import OrgKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='LoginAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(db_index=True, max_length=64)),
                ('ip', fields.CharField(db_index=True, max_length=64)),
                ('success', fields.BooleanField()),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'login_attempt', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OrgUnit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(description='DISTRICT: district\nSTREET: street\nCOMMUNITY: community\nBRANCH: branch\nGROUP: group', enum_type=OrgKind, max_length=16)),
                ('parent', fields.ForeignKeyField('models.OrgUnit', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(default='', db_index=True, max_length=255)),
                ('depth', fields.SmallIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'org_unit', 'app': 'models', 'unique_together': (('parent', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AdminUser',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=255)),
                ('role', fields.CharEnumField(description='DISTRICT_ADMIN: district_admin\nSTREET_ADMIN: street_admin\nCOMMUNITY_SECRETARY: community_secretary\nBRANCH_SECRETARY: branch_secretary\nSTAFF: staff', enum_type=Role, max_length=32)),
                ('org', fields.ForeignKeyField('models.OrgUnit', source_field='org_id', db_constraint=True, to_field='id', related_name='admins', on_delete=OnDelete.RESTRICT)),
                ('locale', fields.CharField(null=True, max_length=8)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'admin_user', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AdminSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.AdminUser', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('csrf_token', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'admin_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A server-side session: the cookie carries a random token, we keep only its hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkUnit',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=150)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'work_unit', 'app': 'models', 'pk_attr': 'id', 'table_description': "The employer's Party organisation of an in-service member."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(db_index=True, max_length=50)),
                ('phone', fields.CharField(null=True, max_length=32)),
                ('branch', fields.ForeignKeyField('models.OrgUnit', source_field='branch_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('residence_community', fields.ForeignKeyField('models.OrgUnit', source_field='residence_community_id', null=True, db_constraint=True, to_field='id', related_name='residents', on_delete=OnDelete.SET_NULL)),
                ('building_unit', fields.CharField(default='', max_length=64)),
                ('work_unit', fields.ForeignKeyField('models.WorkUnit', source_field='work_unit_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.SET_NULL)),
                ('member_type', fields.CharEnumField(db_index=True, description='IN_SERVICE: in_service\nRETIRED: retired\nFLOATING: floating\nWITHOUT_POST: without_post\nLEADING_CADRE: leading_cadre', enum_type=MemberType, max_length=16)),
                ('management_category', fields.CharEnumField(default=ManagementCategory.OTHER, description='CITY: city\nDISTRICT: district\nOTHER: other', enum_type=ManagementCategory, max_length=16)),
                ('occupation', fields.CharField(default='', max_length=64)),
                ('skills', fields.CharField(default='', max_length=200)),
                ('can_write', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'member', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('actor_admin', fields.ForeignKeyField('models.AdminUser', source_field='actor_admin_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('actor_member', fields.ForeignKeyField('models.Member', source_field='actor_member_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('actor_label', fields.CharField(default='', max_length=100)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('object_type', fields.CharField(max_length=32)),
                ('object_id', fields.CharField(default='', max_length=64)),
                ('org', fields.ForeignKeyField('models.OrgUnit', source_field='org_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('proxy', fields.BooleanField(default=False)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='invites', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_by_telegram_id', fields.BigIntField(null=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invite', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TelegramUser',
            fields=[
                ('id', fields.BigIntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('first_name', fields.CharField(default='', max_length=128)),
                ('username', fields.CharField(null=True, max_length=64)),
                ('language_code', fields.CharField(null=True, max_length=16)),
                ('locale', fields.CharField(null=True, max_length=8)),
                ('member', fields.OneToOneField('models.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='telegram', on_delete=OnDelete.SET_NULL)),
                ('bound_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unreachable_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'telegram_user', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Anyone who has written to the bot, bound to a member once an invite is redeemed.'},
            bases=['Model'],
        ),
    ]
