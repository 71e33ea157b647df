"""Who may call what: every /api/v1 route and method, with each kind of actor, and the status it gets.

Objects in the path belong to trainer A and client A (A's trainee), as the `world` fixture (conftest.py)
makes them; test_fuzz.py fuzzes the same world. Write requests send an empty JSON
object, so an actor who is let in meets validation (400) rather than success where the route needs a
body. A route missing from MATRIX fails the suite: place every new route here, deciding who gets in.
"""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.test_errors_and_docs import api_routes, view_methods

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "client_a", "client_b", "trainer_a", "trainer_b", "staff")


def statuses(anonymous, client_a, client_b, trainer_a, trainer_b, staff) -> dict[str, int]:
    return dict(zip(ACTORS, (anonymous, client_a, client_b, trainer_a, trainer_b, staff), strict=True))


# Statuses, in ACTORS order:   anonymous, client A, client B, trainer A, trainer B, staff (a superuser).
# 404 is "not yours" (another's object is never 403), 403 is "not your role"; billing answers 503
# while Stripe is not configured, after authorization.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("delete", "/api/v1/clients/{client_id}/"): statuses(401, 403, 403, 204, 404, 404),
    ("delete", "/api/v1/devices/{registration_id}/"): statuses(401, 204, 404, 404, 404, 404),
    ("delete", "/api/v1/exercises/{slug_or_id}/"): statuses(401, 403, 403, 204, 404, 404),
    ("delete", "/api/v1/invitations/{invitation_id}/"): statuses(401, 403, 403, 204, 404, 404),
    ("delete", "/api/v1/plans/{plan_id}/"): statuses(401, 403, 403, 204, 404, 404),
    ("delete", "/api/v1/workouts/{workout_id}/"): statuses(401, 204, 404, 403, 403, 403),
    ("get", "/api/v1/ai/generations/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/ai/generations/{generation_id}/"): statuses(401, 200, 404, 200, 404, 404),
    ("get", "/api/v1/ai/training-data/"): statuses(401, 403, 403, 403, 403, 200),
    ("get", "/api/v1/billing/invoices/"): statuses(401, 503, 503, 503, 503, 503),
    ("get", "/api/v1/billing/invoices/{invoice_id}/pdf/"): statuses(401, 503, 503, 503, 503, 503),
    ("get", "/api/v1/billing/payments/"): statuses(401, 503, 503, 503, 503, 503),
    ("get", "/api/v1/billing/subscription/"): statuses(401, 503, 503, 503, 503, 503),
    ("get", "/api/v1/billing/subscription/upgrade/preview/"): statuses(401, 403, 403, 400, 400, 400),
    ("get", "/api/v1/billing/tiers/"): statuses(200, 200, 200, 200, 200, 200),
    ("get", "/api/v1/clients/"): statuses(401, 403, 403, 200, 200, 200),
    ("get", "/api/v1/clients/{client_id}/"): statuses(401, 403, 403, 200, 404, 404),
    ("get", "/api/v1/devices/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/exercises/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/exercises/{slug_or_id}/"): statuses(401, 200, 404, 200, 404, 404),
    ("get", "/api/v1/invitations/"): statuses(401, 403, 403, 200, 200, 200),
    ("get", "/api/v1/me/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/me/plan/"): statuses(401, 200, 404, 403, 403, 403),
    ("get", "/api/v1/notifications/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/notifications/preferences/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/plans/"): statuses(401, 403, 403, 200, 200, 200),
    ("get", "/api/v1/plans/{plan_id}/"): statuses(401, 403, 403, 200, 404, 404),
    ("get", "/api/v1/progress/body-metrics/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/progress/summary/"): statuses(401, 200, 200, 400, 400, 400),
    ("get", "/api/v1/workouts/"): statuses(401, 200, 200, 200, 200, 200),
    ("get", "/api/v1/workouts/{workout_id}/"): statuses(401, 200, 404, 200, 404, 404),
    ("patch", "/api/v1/exercises/{slug_or_id}/"): statuses(401, 403, 403, 200, 404, 404),
    ("patch", "/api/v1/me/"): statuses(401, 200, 200, 200, 200, 200),
    ("post", "/api/v1/ai/generate-plan/"): statuses(401, 400, 400, 400, 400, 400),
    ("post", "/api/v1/ai/generations/{generation_id}/approve/"): statuses(401, 403, 403, 400, 404, 404),
    ("post", "/api/v1/ai/generations/{generation_id}/reject/"): statuses(401, 403, 403, 400, 404, 404),
    ("post", "/api/v1/auth/register/"): statuses(400, 400, 400, 400, 400, 400),
    ("post", "/api/v1/auth/token/"): statuses(400, 400, 400, 400, 400, 400),
    ("post", "/api/v1/auth/token/refresh/"): statuses(400, 400, 400, 400, 400, 400),
    ("post", "/api/v1/billing/portal/"): statuses(401, 403, 403, 503, 503, 503),
    ("post", "/api/v1/billing/subscription/cancel/"): statuses(401, 403, 403, 503, 503, 503),
    ("post", "/api/v1/billing/subscription/resume/"): statuses(401, 403, 403, 503, 503, 503),
    ("post", "/api/v1/billing/subscription/upgrade/"): statuses(401, 403, 403, 400, 400, 400),
    ("post", "/api/v1/devices/"): statuses(401, 400, 400, 400, 400, 400),
    ("post", "/api/v1/exercises/"): statuses(401, 403, 403, 400, 400, 400),
    ("post", "/api/v1/invitations/"): statuses(401, 403, 403, 400, 400, 400),
    ("post", "/api/v1/invitations/accept/"): statuses(401, 400, 400, 403, 403, 403),
    ("post", "/api/v1/notifications/read-all/"): statuses(401, 200, 200, 200, 200, 200),
    ("post", "/api/v1/notifications/{notification_id}/read/"): statuses(401, 200, 404, 404, 404, 404),
    ("post", "/api/v1/plans/"): statuses(401, 403, 403, 400, 400, 400),
    ("post", "/api/v1/plans/{plan_id}/activate/"): statuses(401, 403, 403, 200, 404, 404),
    ("post", "/api/v1/plans/{plan_id}/archive/"): statuses(401, 403, 403, 200, 404, 404),
    ("post", "/api/v1/progress/body-metrics/"): statuses(401, 400, 400, 403, 403, 403),
    ("post", "/api/v1/workouts/"): statuses(401, 400, 400, 403, 403, 403),
    ("put", "/api/v1/notifications/preferences/"): statuses(401, 400, 400, 400, 400, 400),
    ("put", "/api/v1/plans/{plan_id}/"): statuses(401, 403, 403, 400, 404, 404),
}


def as_actor(users: dict, actor: str) -> APIClient:
    client = APIClient()
    if actor != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(users[actor]).access_token}")
    return client


def every_operation() -> list[tuple[str, str]]:
    return sorted((method, route) for route, view in api_routes().items() for method in view_methods(view))


def test_every_api_operation_is_in_the_matrix():
    assert set(every_operation()) - set(MATRIX) == set(), "place the new routes in MATRIX"
    assert set(MATRIX) - set(every_operation()) == set(), "drop the removed routes from MATRIX"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "route"), sorted(MATRIX))
def test_actor_gets_the_expected_status(world, method, route, actor):
    users, ids = world

    response = getattr(as_actor(users, actor), method)(route.format(**ids), {}, format="json")

    assert response.status_code == MATRIX[method, route][actor], response.content[:300]
