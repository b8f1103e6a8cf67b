from django.db import migrations

CATEGORIES = ["领导干部", "一般干部", "党代表", "人大代表", "政协委员", "服务对象", "群众"]


def add_categories(apps, schema_editor):
    RespondentCategory = apps.get_model("surveys", "RespondentCategory")
    for order, name in enumerate(CATEGORIES, start=1):
        RespondentCategory.objects.get_or_create(name=name, defaults={"order": order})


def remove_categories(apps, schema_editor):
    RespondentCategory = apps.get_model("surveys", "RespondentCategory")
    RespondentCategory.objects.filter(name__in=CATEGORIES).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(add_categories, remove_categories)]
