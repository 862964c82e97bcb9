"""The item-text index of the pledge search (``models.text_search``): on SQLite an FTS5
trigram table with its triggers, on PostgreSQL a ``pg_trgm`` GIN index.

Raw SQL, not a model: neither is a model field, and Tortoise's autodetector must not see
them. Skipped where the database cannot have it (a SQLite before 3.34 without the trigram
tokenizer, PostgreSQL without ``pg_trgm`` or the right to add it): the search stays a LIKE.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from models.text_search import PLEDGE_ITEM_TEXT


async def create_item_text_index(apps, schema_editor):
    await PLEDGE_ITEM_TEXT.create(schema_editor.client)


async def drop_item_text_index(apps, schema_editor):
    await PLEDGE_ITEM_TEXT.drop(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('models', '0007_list_sort_indexes')]

    initial = False

    operations = [
        ops.RunPython(create_item_text_index, reverse_code=drop_item_text_index),
    ]
