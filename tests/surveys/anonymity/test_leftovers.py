"""Replay of attack 5: the old throttle left HMAC(SECRET_KEY, address) rows in the cache table
after they expired, and the intranet's addresses are few enough to try them all."""

import pytest
from django.db import connection
from django.urls import reverse

from surveys import codes
from surveys.models import UnknownCodeCount
from surveys.respondent import throttle

pytestmark = pytest.mark.django_db
URL = reverse("respondent:start")


def cache_keys():
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM credibility_cache")
        return [row[0] for row in cursor.fetchall()]


def test_no_address_derived_key_outlives_its_window(client, city, monkeypatch):
    now = [1_900_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    addresses = [f"10.1.{n // 250}.{n % 250}" for n in range(20)]
    for address in addresses:
        client.get(URL, {"code": codes.display(codes.generate())}, REMOTE_ADDR=address)
    window = throttle.current_window()
    assert UnknownCodeCount.objects.filter(period=window).count() == len(addresses) + 1
    now[0] += throttle.WINDOW_SECONDS  # the window passes; the next unknown code cleans up
    client.get(URL, {"code": codes.display(codes.generate())}, REMOTE_ADDR="10.9.9.9")
    assert set(UnknownCodeCount.objects.values_list("period", flat=True)) == {window + 1}
    # Trying every address against the old window's key finds nothing left to match.
    from django.test import RequestFactory

    rf = RequestFactory()
    kept = set(UnknownCodeCount.objects.values_list("client", flat=True))
    assert not kept & {throttle.client_key(rf.get(URL, REMOTE_ADDR=a), window) for a in addresses}
    # The shared cache holds nothing derived from an address either.
    assert not any("code" in key for key in cache_keys())
