"""Weights on the settings step: staff read a Chinese message, and nothing is saved."""

import pytest

from surveys.models import RoundStatus
from tests import factories

pytestmark = pytest.mark.django_db


def post_settings(client, r, weights, use_weights=True):
    data = {"scale": "four", "positive_threshold": 80, "basic_threshold": 70, "min_valid_answers": 30}
    if use_weights:
        data["use_weights"] = "on"
    for name, weight in weights.items():
        category = factories.category(name)
        data[f"c{category.pk}"] = "on"
        data[f"w{category.pk}"] = weight
    return client.post(f"/rounds/{r.pk}/settings/", data)


def test_all_zero_weights_are_refused_with_a_message(client):
    client.force_login(factories.staff())
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    before = list(r.round_categories.values_list("category_id", "weight"))
    response = post_settings(client, r, {"群众": "0", "领导干部": "0.000"})
    assert response.status_code == 200
    assert "权重不能全部为 0" in response.content.decode()
    r.refresh_from_db()
    assert not r.use_weights
    assert list(r.round_categories.values_list("category_id", "weight")) == before


def test_zero_weights_without_weighting_and_one_positive_weight_are_fine(client):
    client.force_login(factories.staff())
    r = factories.round_([factories.unit()], status=RoundStatus.DRAFT)
    assert post_settings(client, r, {"群众": "0"}, use_weights=False).status_code == 302
    assert post_settings(client, r, {"群众": "1.5", "领导干部": "0"}).status_code == 302
    r.refresh_from_db()
    assert r.use_weights
    weights = {c: float(w) for c, w in r.category_weights().items()}
    assert sorted(weights.values()) == [0.0, 1.5]
    r.policy(r.category_weights())  # exact Decimals from the form: scoring accepts them
