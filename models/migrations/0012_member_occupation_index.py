"""The distinct occupations of a scope (the members list's occupation filter) read off an
index rather than off every member."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_card_month_index')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['occupation', 'branch_id']),
        ),
    ]
