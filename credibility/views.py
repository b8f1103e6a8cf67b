from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.roles import visible_groups
from surveys.models import Round
from units.models import Unit


@login_required
def home(request):
    groups = visible_groups(request.user)
    return render(
        request,
        "home.html",
        {
            "unit_count": Unit.objects.active().in_groups(groups).count(),
            "rounds": Round.objects.all()[:6],
        },
    )
