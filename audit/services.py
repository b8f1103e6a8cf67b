from .models import AuditEntry


def audit_record(*, actor, action, obj=None, changes=None, source="", object_repr=None):
    """Append one entry to the trail; call inside the transaction of the action it records."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else str(obj) if obj else "")[:200],
        changes=changes or {},
        source=source[:100],
    )


def diff(before, after):
    """{field: [old, new]} for the fields whose values differ, as JSON-friendly strings."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _plain(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)
