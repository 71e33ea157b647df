import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import ClientFactory, ExerciseFactory, TrainerFactory

# A real Celery worker on Redis, for the tests that ask for `live_celery`; billing on the fake Stripe for
# those that ask for `stripe_world`.
pytest_plugins = ["tests.celery_worker", "tests.stripe_world"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def api_as():
    """Return an API client that sends a real JWT bearer token of the given user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.fixture
def trainer(db):
    return TrainerFactory()


@pytest.fixture
def other_trainer(db):
    return TrainerFactory()


@pytest.fixture
def client_user(trainer):
    """A client coached by `trainer`."""
    return ClientFactory(trainer=trainer)


@pytest.fixture
def other_client(other_trainer):
    """A client coached by `other_trainer`."""
    return ClientFactory(trainer=other_trainer)


@pytest.fixture
def exercises(db):
    """Three shared-library exercises."""
    return [
        ExerciseFactory(slug="test-squat", name="Test Squat", muscles=["quads", "glutes"]),
        ExerciseFactory(slug="test-bench", name="Test Bench", equipment="dumbbell", muscles=["chest"]),
        ExerciseFactory(slug="test-row", name="Test Row", equipment="cable", muscles=["lats"]),
    ]
