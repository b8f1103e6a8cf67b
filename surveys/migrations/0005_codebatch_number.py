"""Number code batches per unit (第 1 批 is a unit's first batch), existing ones by age.

Not atomic as a whole: the numbering commits before the column becomes NOT NULL, so
PostgreSQL never alters a table with row updates still pending in the same transaction.
"""

from django.db import migrations, models


def number_batches(apps, schema_editor):
    CodeBatch = apps.get_model("surveys", "CodeBatch")
    seen = {}
    batches = CodeBatch.objects.order_by("round_unit_id", "created_at", "id").only("id", "round_unit_id")
    for batch in batches.iterator():
        seen[batch.round_unit_id] = seen.get(batch.round_unit_id, 0) + 1
        CodeBatch.objects.filter(pk=batch.pk).update(number=seen[batch.round_unit_id])


def forget_numbers(apps, schema_editor):
    apps.get_model("surveys", "CodeBatch").objects.update(number=None)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("surveys", "0004_result_snapshot")]

    operations = [
        migrations.AddField(
            model_name="codebatch", name="number", field=models.PositiveIntegerField("批次号", null=True),
        ),
        migrations.RunPython(number_batches, forget_numbers, atomic=True),
        migrations.AlterField(
            model_name="codebatch", name="number", field=models.PositiveIntegerField("批次号"),
        ),
        migrations.AddConstraint(
            model_name="codebatch",
            constraint=models.UniqueConstraint(fields=("round_unit", "number"), name="code_batch_number_once"),
        ),
    ]
