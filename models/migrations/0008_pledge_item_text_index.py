"""The item-text index of the pledge search on SQLite (``models.item_search``).

Raw SQL, not a model: an FTS5 table with its triggers is no model field, and Tortoise's
autodetector must not see it. Nothing happens on PostgreSQL, nor on a SQLite without the
trigram tokenizer (before 3.34): the search stays a LIKE there.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from models import item_search


async def create_item_text_index(apps, schema_editor):
    await item_search.create_item_text_index(schema_editor.client)


async def drop_item_text_index(apps, schema_editor):
    await item_search.drop_item_text_index(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('models', '0007_list_sort_indexes')]

    initial = False

    operations = [
        ops.RunPython(create_item_text_index, reverse_code=drop_item_text_index),
    ]
