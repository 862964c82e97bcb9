from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_list_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['can_write']),
        ),
        ops.AddIndex(
            model_name='OrgUnit',
            index=Index(fields=['name']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['branch_id']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['proxy_entered']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['year', 'status']),
        ),
        ops.RemoveIndex(
            model_name='PointCard',
            name=None,
            fields=['member_id', 'year'],
        ),
        ops.AddIndex(
            model_name='PointCard',
            index=Index(fields=['member_id', 'year', 'amount']),
        ),
        ops.AddIndex(
            model_name='PointCard',
            index=Index(fields=['created_at', 'amount']),
        ),
    ]
