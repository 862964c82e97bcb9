from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_updates_and_locks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ActivitySeries',
            name='weeks_ahead',
            field=fields.SmallIntField(default=4, db_default=4),
        ),
        ops.AddField(
            model_name='Team',
            name='is_open',
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]
