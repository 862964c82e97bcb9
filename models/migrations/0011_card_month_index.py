"""Some members' cards counted by month (a community's dashboard) from an index alone: the
(member, year) index finds their cards but not when each was recorded."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_member_name_index')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='PointCard',
            index=Index(fields=['member_id', 'created_at', 'amount']),
        ),
    ]
