"""Public links to a unit's roll of honour (光荣榜) of a year, like the pledge notice's."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_wish_progress_photo')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HonourRollLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.CharField(unique=True, max_length=64)),
                ('year', fields.SmallIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unit', fields.ForeignKeyField('models.OrgUnit', source_field='unit_id', db_constraint=True, to_field='id', related_name='honour_roll_links', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.AdminUser', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='honour_roll_links', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'honour_roll_link', 'app': 'models', 'pk_attr': 'id'},
            bases=['PublicLink'],
        ),
    ]
