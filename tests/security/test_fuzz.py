"""Fuzz every documented operation with schemathesis, as trainer A and as client A of the `world`.

The schema is loaded from the app, and every request goes in-process through the production WSGI
application, inside the test's transaction. No answer may be a 5xx, nor break the schema: its status
code, its content type and its body must be documented. Billing runs on the fake Stripe.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kinetix.wsgi import application

pytestmark = pytest.mark.django_db

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            # About a second per operation and actor: the whole run stays near a minute on two cores.
            "max-examples": 20,
            # The same cases on every run, and no example database carried between runs.
            "deterministic": True,
            "database": "none",
        },
        # The schema's examples fill only `case`, not the `known_ids` the tests also draw; fuzzing covers them.
        "phases": {"examples": {"enabled": False}},
    }
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BILLING = r"^/api/v1/billing/"

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG).exclude(
    # The training-data export streams JSON Lines, staff only: neither actor gets past its 403.
    # The invoice PDF is a redirect to Stripe's file, for an invoice only a paid subscription makes.
    # (The Stripe webhook is dj-stripe's view, outside the schema, and refuses what its signature does not cover.)
    path_regex=r"^/api/v1/(ai/training-data|billing/invoices/\{invoice_id\}/pdf)/$",
)


@pytest.fixture(autouse=True)
def _one_connection():
    # As Django's test client does: a request must not close the connection that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["trainer_a", "client_a"])
def actor(request, world):
    """The bearer header of one of the world's users, and the ids of A's objects."""
    users, ids = world
    token = RefreshToken.for_user(users[request.param]).access_token
    return {"Authorization": f"Bearer {token}"}, ids


def call_and_validate(case, actor, known_ids: bool) -> None:
    headers, ids = actor
    if known_ids and case.path_parameters:
        # Half the cases name A's own objects, so that they get past the lookup to the work.
        case.path_parameters = {name: ids.get(name, value) for name, value in case.path_parameters.items()}
    case.call_and_validate(headers=headers, checks=CHECKS)


# The world and the actor last through an operation's cases: what one case changes (a deletion) the next meets.
@schema.exclude(path_regex=BILLING).parametrize()
@schema.given(known_ids=st.booleans())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_answers_as_documented(case, actor, known_ids):
    call_and_validate(case, actor, known_ids)


@schema.include(path_regex=BILLING).parametrize()
@schema.given(known_ids=st.booleans())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_billing_answers_as_documented(case, actor, known_ids, stripe_world):
    call_and_validate(case, actor, known_ids)
