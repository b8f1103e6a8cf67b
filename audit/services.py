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


def audit_change(*, actor, action, obj, before=None, after=None, source="", object_repr=None):
    """Record a create (no `before`), an update, or a delete (no `after`) of `obj` with the
    values that changed, {field: [old, new]}; see `diff`.

    A create or delete is always recorded; an update that changed nothing records nothing
    and returns None. Call inside the transaction of the change, after saving a create (so
    the entry has its id) and before deleting.
    """
    changes = diff(before or {}, after or {})
    if before is not None and after is not None and not changes:
        return None
    return audit_record(
        actor=actor, action=action, obj=obj, changes=changes, source=source, object_repr=object_repr
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
