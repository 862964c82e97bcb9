from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_reports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProcessedUpdate',
            fields=[
                ('update_id', fields.BigIntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('claimed_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'processed_update', 'app': 'models', 'pk_attr': 'update_id', 'table_description': 'A Telegram update id claimed or handled by a bot worker (pruned after a few days).'},
            bases=['Model'],
        ),
    ]
