"""Behind the reverse proxy: the client's address and scheme come from its headers, only then."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from credibility.proxy import ClientAddressMiddleware, client_address
from surveys import codes

PROXY = "127.0.0.1"


def request(rf, forwarded=None, **extra):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return rf.get("/", REMOTE_ADDR=PROXY, **headers, **extra)


@override_settings(BEHIND_PROXY=True)
def test_behind_the_proxy_the_address_it_appended_is_the_client(rf):
    assert client_address(request(rf, "198.51.100.7")) == "198.51.100.7"
    # The proxy appends what it saw; whatever the client sent before it is not trusted.
    assert client_address(request(rf, "203.0.113.66, 198.51.100.7")) == "198.51.100.7"
    assert client_address(request(rf)) == PROXY


@override_settings(BEHIND_PROXY=False)
def test_without_the_switch_the_header_is_ignored(rf):
    assert client_address(request(rf, "198.51.100.7")) == PROXY
    seen = request(rf, "198.51.100.7")
    ClientAddressMiddleware(lambda r: None)(seen)
    assert seen.META["REMOTE_ADDR"] == PROXY


@override_settings(BEHIND_PROXY=True)
def test_the_middleware_gives_every_view_the_client_address(rf):
    seen = request(rf, "198.51.100.7")
    ClientAddressMiddleware(lambda r: None)(seen)
    assert seen.META["REMOTE_ADDR"] == "198.51.100.7"


@pytest.mark.django_db
@override_settings(BEHIND_PROXY=True)
def test_behind_the_proxy_the_wrong_code_throttle_counts_each_respondent(client):
    cache.clear()
    from surveys.respondent import throttle

    for _ in range(throttle.UNKNOWN_LIMIT + 1):  # unknown, well-formed codes from one phone
        blocked = client.get("/s/", {"code": codes.display(codes.generate())},
                             REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert blocked.status_code == 429
    other = client.get("/s/", {"code": codes.display(codes.generate())},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 200  # another respondent behind the same proxy
    cache.clear()


@pytest.mark.django_db
def test_the_scheme_from_the_proxy_counts_only_with_the_switch(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/s/", HTTP_X_FORWARDED_PROTO="https").status_code == 301  # forged: ignored
    settings.BEHIND_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/s/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
