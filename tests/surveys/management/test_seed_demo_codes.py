import re

import pytest
from django.core.cache import cache

from surveys.management.commands.seed_demo import OPEN_ROUND_NAME, Command
from surveys.models import Round
from tests import factories

pytestmark = pytest.mark.django_db


class Out(list):
    def write(self, text):
        self.append(text)


def test_seed_demo_prints_codes_that_open_the_questionnaire(client):
    """The printing part of seed_demo, on a small city (the full seed is tested elsewhere)."""
    cache.clear()
    unit = factories.unit("渝中区")
    r = factories.round_([unit])
    Round.objects.filter(pk=r.pk).update(name=OPEN_ROUND_NAME)
    staff = factories.staff()
    factories.access_codes(r.round_units.get(), 5, actor=staff)
    command = Command()
    command.stdout = Out()
    command._print_codes()
    out = "\n".join(command.stdout)
    links = re.findall(r"http://127\.0\.0\.1:8000(/s/\?code=[A-Z0-9-]{14})", out)
    assert len(links) == 3
    slips = re.search(r"http://127\.0\.0\.1:8000(/fieldwork/code-batches/\d+/slips/)", out).group(1)
    for link in links:
        assert "被测评单位：渝中区" in client.get(link).content.decode()
    client.force_login(staff)
    assert links[0].split("=")[1] in client.get(slips).content.decode()
