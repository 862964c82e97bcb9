from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_community_followups')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Member',
            index=Index(fields=['created_at']),
        ),
        ops.AddIndex(
            model_name='Pledge',
            index=Index(fields=['member_id']),
        ),
    ]
