"""A claimant's progress note on a wish may carry a photo (Telegram's file id)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_member_occupation_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WishProgress',
            name='photo_file_id',
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
