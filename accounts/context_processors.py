from .roles import MANAGE, MANAGE_ACCOUNTS, VIEW_RESULTS


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_manage": False, "can_view_results": False, "can_manage_accounts": False}
    return {
        "can_manage": user.has_perm(MANAGE),
        "can_view_results": user.has_perm(VIEW_RESULTS),
        "can_manage_accounts": user.has_perm(MANAGE_ACCOUNTS),
    }
