import datetime

import pytest

from aiplans.offline import generate_plan
from aiplans.planning import PlanRequest
from aiplans.selectors import generation_catalogue
from kinetix.celery import app as celery_app
from tests.fakes.llm_server import FakeLlm

GYM = ["barbell", "dumbbell", "machine", "cable", "pull_up_bar"]
REQUEST = {
    "goal": "hypertrophy",
    "level": "intermediate",
    "equipment": GYM,
    "days_per_week": 4,
    "session_minutes": 60,
}


@pytest.fixture(scope="session")
def fake_llm_server():
    server = FakeLlm().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server: FakeLlm) -> FakeLlm:
    fake_llm_server.script()
    return fake_llm_server


@pytest.fixture
def use_openai(settings, fake_llm):
    settings.LLM_PROVIDER = "openai"
    settings.LLM_MODEL = "gpt-test"
    settings.OPENAI_API_KEY = "sk-test-key"
    settings.OPENAI_BASE_URL = f"{fake_llm.url}/v1"
    settings.LLM_TIMEOUT_SECONDS = 1.0
    return fake_llm


@pytest.fixture
def use_anthropic(settings, fake_llm):
    settings.LLM_PROVIDER = "anthropic"
    settings.LLM_MODEL = "claude-test"
    settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
    settings.ANTHROPIC_BASE_URL = fake_llm.url
    settings.LLM_TIMEOUT_SECONDS = 1.0
    return fake_llm


@pytest.fixture
def retries_run_eagerly():
    """Let an eager task's `retry()` run the next try in-process instead of raising into the test."""
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = propagates


@pytest.fixture
def good_plan(trainer):
    """Return the offline generator's plan for REQUEST: one that passes every rule."""
    request = PlanRequest(**{**REQUEST, "equipment": tuple(GYM)})
    return generate_plan(request=request, catalogue=generation_catalogue(trainer=trainer))


@pytest.fixture
def generate(api_as, django_capture_on_commit_callbacks):
    """Post a generation request as the user and run its task (eagerly) once the request commits."""

    def post(user, headers: dict | None = None, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return api_as(user).post(
                "/api/v1/ai/generate-plan/", {**REQUEST, **fields}, format="json", **(headers or {})
            )

    return post


def next_monday() -> datetime.date:
    today = datetime.date.today()
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7 or 7)
