"""Each member's cards of a year, kept by triggers on the ledger (``models.card_totals``): the
award list ranks members by it instead of summing the ledger for every member on every page.

Raw SQL, not a model: Tortoise cannot declare triggers. Filled from the cards there are.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from models import card_totals


async def create_card_totals(apps, schema_editor):
    await card_totals.create(schema_editor.client)


async def drop_card_totals(apps, schema_editor):
    await card_totals.drop(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('models', '0012_member_occupation_index')]

    initial = False

    operations = [
        ops.RunPython(create_card_totals, reverse_code=drop_card_totals),
    ]
