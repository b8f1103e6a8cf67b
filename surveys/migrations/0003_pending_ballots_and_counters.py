"""Pending ballots and the mixer, the close's fence, per-batch code counters, and the throttle's
own table (issue 11: anonymity against the people who run the server; issue 15: live pages
from counters)."""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


def fill_counters(apps, schema_editor):
    """Count each batch's used and void codes once; from now on the services keep them."""
    AccessCode = apps.get_model("surveys", "AccessCode")
    CodeBatch = apps.get_model("surveys", "CodeBatch")
    RoundUnit = apps.get_model("surveys", "RoundUnit")
    counts = {}
    rows = AccessCode.objects.values_list("batch_id", "status").annotate(n=models.Count("id"))
    for batch_id, status, n in rows.order_by():
        used, void = counts.get(batch_id, (0, 0))
        if status in ("used", "spent"):
            used += n
        elif status == "void":
            void += n
        counts[batch_id] = (used, void)
    for batch_id, (used, void) in counts.items():
        CodeBatch.objects.filter(pk=batch_id).update(codes_used=used, codes_void=void)
    # Rounds already closed take no ballots: their units' fence is down.
    RoundUnit.objects.filter(round__status__in=["closed", "published"]).update(accepting=False)


def forget_counters(apps, schema_editor):
    if apps.get_model("surveys", "PendingBallot").objects.exists():
        raise RuntimeError("还有待计入的测评票：先运行 manage.py mix_ballots --all，再回退迁移。")
    apps.get_model("surveys", "AccessCode").objects.filter(status="spent").update(status="used")
    apps.get_model("surveys", "CodeBatch").objects.update(codes_used=0, codes_void=0)


class Migration(migrations.Migration):

    dependencies = [
        ('surveys', '0002_default_categories'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingBallot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sealed', models.BinaryField(verbose_name='密文')),
            ],
            options={
                'verbose_name': '待计入测评票',
                'verbose_name_plural': '待计入测评票',
            },
        ),
        migrations.CreateModel(
            name='UnknownCodeCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.BigIntegerField(verbose_name='时间窗')),
                ('client', models.CharField(blank=True, max_length=32, verbose_name='来源摘要')),
                ('count', models.PositiveIntegerField(default=0, verbose_name='次数')),
            ],
            options={
                'verbose_name': '错误测评码计数',
                'verbose_name_plural': '错误测评码计数',
            },
        ),
        migrations.RemoveConstraint(
            model_name='accesscode',
            name='code_status_known',
        ),
        migrations.AddField(
            model_name='codebatch',
            name='codes_used',
            field=models.PositiveIntegerField(default=0, verbose_name='已使用'),
        ),
        migrations.AddField(
            model_name='codebatch',
            name='codes_void',
            field=models.PositiveIntegerField(default=0, verbose_name='已作废'),
        ),
        migrations.AddField(
            model_name='roundunit',
            name='accepting',
            field=models.BooleanField(default=True, editable=False, verbose_name='接收测评票'),
        ),
        migrations.AlterField(
            model_name='accesscode',
            name='status',
            field=models.CharField(choices=[('unused', '未使用'), ('spent', '已使用（待计入）'), ('used', '已使用'), ('void', '已作废')], default='unused', max_length=8, verbose_name='状态'),
        ),
        migrations.AddConstraint(
            model_name='accesscode',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['unused', 'spent', 'used', 'void'])), name='code_status_known'),
        ),
        migrations.RunPython(fill_counters, forget_counters),
        migrations.AddConstraint(
            model_name='codebatch',
            constraint=models.CheckConstraint(condition=models.Q(('codes_used__lte', django.db.models.expressions.CombinedExpression(models.F('size'), '-', models.F('codes_void')))), name='code_batch_counts_within_size'),
        ),
        migrations.AddField(
            model_name='pendingballot',
            name='round_unit',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pending_ballots', to='surveys.roundunit', verbose_name='参评单位'),
        ),
        migrations.AlterField(
            model_name='accesscode',
            name='round_unit',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='access_codes', to='surveys.roundunit', verbose_name='参评单位'),
        ),
        migrations.AlterField(
            model_name='accesscode',
            name='digest',
            field=models.CharField(max_length=64, verbose_name='摘要'),
        ),
        migrations.AddConstraint(
            model_name='accesscode',
            constraint=models.UniqueConstraint(fields=('digest',), name='code_digest_once'),
        ),
        migrations.AddConstraint(
            model_name='unknowncodecount',
            constraint=models.UniqueConstraint(fields=('period', 'client'), name='unknown_code_count_once'),
        ),
    ]
