"""The wrong-code throttle: generous enough for a hall behind one address, never in the way of
a valid code, and nothing kept of an address past its window."""

import pytest
from django.urls import reverse

from surveys import codes
from surveys.models import PendingBallot, UnknownCodeCount
from surveys.respondent import throttle
from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("respondent:start")


def unknown():
    return codes.display(codes.generate())


def test_unknown_codes_over_the_limit_get_the_too_many_answer(client, city, settings):
    for _ in range(throttle.UNKNOWN_LIMIT):
        assert "没有找到这个测评码" in client.get(URL, {"code": unknown()}).content.decode()
    response = client.get(URL, {"code": unknown()})
    assert response.status_code == 429
    assert "次数过多" in response.content.decode()


def test_a_valid_code_is_never_refused_by_the_throttle(client, city):
    r = city["round"]
    good = factories.access_codes(r.round_units.first(), 1)[0]
    for _ in range(throttle.UNKNOWN_LIMIT + 5):
        client.get(URL, {"code": unknown()})
    assert client.get(URL, {"code": unknown()}).status_code == 429
    response = client.get(URL, {"code": good})
    assert response.status_code == 200 and r.name in response.content.decode()
    data = {
        "code": good, "category": factories.category().pk,
        **{f"item_{pk}": 1 for pk in factories.online_answers(r)},
    }
    assert client.post(URL, data).status_code == 302
    assert PendingBallot.objects.count() == 1


def test_the_limit_is_per_client(client, city):
    for _ in range(throttle.UNKNOWN_LIMIT + 1):
        client.get(URL, {"code": unknown()}, REMOTE_ADDR="10.0.0.1")
    assert client.get(URL, {"code": unknown()}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(URL, {"code": unknown()}, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_global_limit_covers_every_client(client, city, monkeypatch):
    monkeypatch.setattr(throttle, "UNKNOWN_GLOBAL_LIMIT", 5)
    for n in range(5):
        assert client.get(URL, {"code": unknown()}, REMOTE_ADDR=f"10.0.1.{n}").status_code == 200
    assert client.get(URL, {"code": unknown()}, REMOTE_ADDR="10.0.2.1").status_code == 429


def test_mistyped_codes_do_not_count(client, city):
    for _ in range(throttle.UNKNOWN_LIMIT + 2):
        assert "测评码有误" in client.get(URL, {"code": "ABCD-EFGH-JKM"}).content.decode()
    assert not UnknownCodeCount.objects.exists()


def test_the_key_changes_with_the_window_and_hides_the_address(rf):
    request = rf.get(URL, REMOTE_ADDR="192.0.2.7")
    key = throttle.client_key(request, 100)
    assert "192.0.2.7" not in key
    assert key == throttle.client_key(rf.get(URL, REMOTE_ADDR="192.0.2.7"), 100)
    assert key != throttle.client_key(rf.get(URL, REMOTE_ADDR="192.0.2.8"), 100)
    assert key != throttle.client_key(request, 101)  # next window: a different key


def test_no_row_outlives_its_window(rf, db):
    start = 1_800_000_000.0
    request = rf.get(URL, REMOTE_ADDR="192.0.2.7")
    for _ in range(3):
        throttle.record_unknown(request, now=start)
    first = throttle.current_window(start)
    assert set(UnknownCodeCount.objects.values_list("period", "count")) == {(first, 3)}
    later = start + throttle.WINDOW_SECONDS
    throttle.record_unknown(rf.get(URL, REMOTE_ADDR="198.51.100.1"), now=later)
    assert set(UnknownCodeCount.objects.values_list("period", flat=True)) == {first + 1}
    old_key = throttle.client_key(request, first)
    assert not UnknownCodeCount.objects.filter(client=old_key).exists()
    # The same address in the new window counts afresh, under another key.
    assert throttle.record_unknown(request, now=later) is False
    assert UnknownCodeCount.objects.filter(client=throttle.client_key(request, first + 1)).get().count == 1
