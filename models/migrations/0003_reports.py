from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.reports import ReportKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_points_awards_audit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='WEEKLY: weekly\nYEARLY: yearly', enum_type=ReportKind, max_length=16)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('org', fields.ForeignKeyField('models.OrgUnit', source_field='org_id', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.CASCADE)),
                ('data', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'report', 'app': 'models', 'unique_together': (('kind', 'period_start', 'org'),), 'pk_attr': 'id', 'table_description': 'A stored report: one kind, one period, one unit, its figures as JSON.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AdminUser',
            name='member',
            field=fields.ForeignKeyField('models.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='admin_users', on_delete=OnDelete.SET_NULL),
        ),
        # Indexes found by bench/admin.py: the pledge list, its items, members per branch.
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['branch_id', 'name']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['branch_id', 'year']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['year', 'member_id']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['submitted_at']),
        ),
        ops.AddIndex(
            model_name='PledgeItem',
            index=Index(fields=['pledge_id', 'position']),
        ),
    ]
