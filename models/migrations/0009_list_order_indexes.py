"""Indexes closed by the id for lists sorted by a column, then the id: PostgreSQL walks them
in order instead of sorting every row that shares the first value (SQLite indexes carry the
id already). Unit names too, as names repeat."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_pledge_item_text_index')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='OrgUnit',
            name=None,
            fields=['name'],
        ),
        ops.AddIndex(
            model_name='OrgUnit',
            index=Index(fields=['name', 'id']),
        ),
        ops.RemoveIndex(
            model_name='Pledge',
            name=None,
            fields=['submitted_at'],
        ),
        ops.RemoveIndex(
            model_name='Pledge',
            name=None,
            fields=['branch_id'],
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['submitted_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['branch_id', 'id']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['year', 'id']),
        ),
    ]
