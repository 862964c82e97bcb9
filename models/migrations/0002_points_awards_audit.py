from tortoise import migrations
from tortoise.migrations import operations as ops
from models.awards import AwardPeriod
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AwardRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=100)),
                ('threshold', fields.SmallIntField(default=6)),
                ('period', fields.CharEnumField(default=AwardPeriod.CALENDAR_YEAR, description='CALENDAR_YEAR: calendar_year', enum_type=AwardPeriod, max_length=16)),
                ('org', fields.ForeignKeyField('models.OrgUnit', source_field='org_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='award_rules', on_delete=OnDelete.CASCADE)),
                ('updated_by', fields.ForeignKeyField('models.AdminUser', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='award_rules_updated', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'award_rule', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An award for more than threshold cards in a period, for the members under org (none: everyone).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='leaderboard_opt_out',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddIndex(
            model_name='PointCard',
            index=Index(fields=['member_id', 'year']),
        ),
        # The default award rule: more than 6 cards in a calendar year, everywhere.
        ops.RunSQL(
            "INSERT INTO award_rule (name, threshold, period, updated_at) "
            "VALUES ('Dedication award', 6, 'calendar_year', CURRENT_TIMESTAMP)",
            reverse_sql="DELETE FROM award_rule WHERE org_id IS NULL",
        ),
    ]
