import pytest
from django.core.cache import cache
from django.urls import reverse

from surveys import codes
from surveys.models import Ballot
from surveys.respondent import throttle
from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("respondent:start")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_wrong_codes_block_the_client_then_even_good_codes_wait(client, city):
    good = factories.access_codes(city["round"].round_units.first(), 1)[0]
    for _ in range(throttle.FAILURES_LIMIT - 1):
        assert "没有找到这个测评码" in client.get(URL, {"code": codes.generate()}).content.decode()
    assert client.get(URL, {"code": good}).status_code == 200  # not yet blocked
    client.get(URL, {"code": codes.generate()})
    response = client.get(URL, {"code": good})
    assert response.status_code == 429
    assert "次数过多" in response.content.decode()
    assert client.post(URL, {"code": good}).status_code == 429
    assert not Ballot.objects.exists()


def test_the_block_is_per_client(client, city):
    good = factories.access_codes(city["round"].round_units.first(), 1)[0]
    for _ in range(throttle.FAILURES_LIMIT):
        client.get(URL, {"code": codes.generate()}, REMOTE_ADDR="10.0.0.1")
    assert client.get(URL, {"code": good}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(URL, {"code": good}, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_mistyped_codes_do_not_count(client, city):
    for _ in range(throttle.FAILURES_LIMIT + 2):
        assert "测评码有误" in client.get(URL, {"code": "ABCD-EFGH-JKM"}).content.decode()
    assert client.get(URL, {"code": "ABCD"}).status_code == 200


def test_the_key_is_a_keyed_hash_of_the_address(rf):
    request = rf.get(URL, REMOTE_ADDR="192.0.2.7")
    key = throttle.client_key(request)
    assert "192.0.2.7" not in key and key == throttle.client_key(rf.get(URL, REMOTE_ADDR="192.0.2.7"))
    assert key != throttle.client_key(rf.get(URL, REMOTE_ADDR="192.0.2.8"))
