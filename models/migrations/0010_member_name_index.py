"""The member-name index of the pledge search (``models.text_search``), like 0008's for item
texts: an FTS5 trigram table with its triggers on SQLite, a ``pg_trgm`` GIN index on
PostgreSQL; skipped where the database cannot have it (the search stays a LIKE)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from models.text_search import MEMBER_NAME


async def create_member_name_index(apps, schema_editor):
    await MEMBER_NAME.create(schema_editor.client)


async def drop_member_name_index(apps, schema_editor):
    await MEMBER_NAME.drop(schema_editor.client)


class Migration(migrations.Migration):
    dependencies = [('models', '0009_list_order_indexes')]

    initial = False

    operations = [
        ops.RunPython(create_member_name_index, reverse_code=drop_member_name_index),
    ]
