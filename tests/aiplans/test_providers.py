"""The real openai and anthropic clients against the fake servers: structured output, repair, retries."""

import copy

import pytest

from aiplans.models import GenerationStatus, PlanGeneration
from aiplans.providers import PLAN_TOOL
from tests.fakes.llm_server import plan, stall, status, text

pytestmark = pytest.mark.django_db


def _generation(generate, trainer) -> PlanGeneration:
    response = generate(trainer)
    assert response.status_code == 202
    return PlanGeneration.objects.get(pk=response.data["id"])


def test_openai_structured_output_is_drafted_for_review(trainer, generate, use_openai, good_plan):
    use_openai.script(plan(good_plan))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.NEEDS_REVIEW
    assert (generation.provider, generation.model) == ("openai", "gpt-test")
    assert (generation.input_tokens, generation.output_tokens, generation.attempts) == (1200, 800, 1)
    [request] = use_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-key"
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"]["title"] == "WeeklyPlan"
    prompt = request.body["messages"][1]["content"]
    assert "barbell-bench-press" in prompt
    assert "treadmill-run" not in prompt
    assert trainer.email not in str(request.body)


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(text("Here is your plan: {days: ["), id="invalid-json"),
        pytest.param("schema", id="schema-violation"),
        pytest.param("unknown", id="unknown-exercise"),
    ],
)
def test_a_broken_answer_is_repaired_with_its_errors(trainer, generate, use_openai, good_plan, broken):
    if broken == "schema":
        bad = copy.deepcopy(good_plan)
        bad["days"][0]["exercises"][0]["sets"] = 40
        broken = plan(bad)
    elif broken == "unknown":
        bad = copy.deepcopy(good_plan)
        bad["days"][0]["exercises"][0]["exercise"] = "zercher-moon-squat"
        broken = plan(bad)
    use_openai.script(broken, plan(good_plan))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.NEEDS_REVIEW
    assert generation.attempts == 2
    assert generation.report["turns"][0]["passed"] is False
    repair = use_openai.requests[1].body["messages"]
    assert repair[-2]["role"] == "assistant"
    assert repair[-1]["role"] == "user"
    assert "refused for these reasons" in repair[-1]["content"]


def test_a_draft_that_stays_wrong_fails_with_its_report(trainer, generate, use_openai, good_plan):
    lacking = copy.deepcopy(good_plan)
    lacking["days"][0]["exercises"][0]["exercise"] = "kettlebell-goblet-squat"  # no kettlebell in the request
    use_openai.script(plan(lacking), plan(lacking), plan(lacking))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.FAILED
    assert generation.attempts == 3
    assert len(use_openai.requests) == 3
    [error] = [e for e in generation.report["errors"] if e["code"] == "equipment_unavailable"]
    assert error["path"] == "days.0.exercises.0.exercise"
    assert "needs a kettlebell" in error["message"]


def test_a_429_is_retried_by_the_task(trainer, generate, use_openai, good_plan, retries_run_eagerly):
    use_openai.script(status(429, retry_after="0"), plan(good_plan))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.NEEDS_REVIEW
    assert generation.provider_retries == 1
    assert len(use_openai.requests) == 2  # the SDK itself did not retry


def test_a_timeout_is_retried_until_the_retries_run_out(
    trainer, generate, use_openai, good_plan, retries_run_eagerly, settings
):
    settings.LLM_MAX_RETRIES = 1
    use_openai.script(stall(1.5, good_plan), stall(1.5, good_plan))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.FAILED
    assert "unreachable" in generation.failure_reason
    assert generation.provider_retries == 2


def test_a_refusal_is_not_retried(trainer, generate, use_openai):
    use_openai.script(status(401))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.FAILED
    assert "401" in generation.failure_reason
    assert len(use_openai.requests) == 1


def test_an_openai_compatible_server_is_reached_at_its_base_url(trainer, generate, use_openai, good_plan, settings):
    settings.LLM_PROVIDER = "openai-compatible"
    settings.OPENAI_API_KEY = ""
    settings.LLM_MODEL = "llama-3.1-8b-instruct"
    use_openai.script(plan(good_plan))

    generation = _generation(generate, trainer)

    assert (generation.status, generation.provider) == (GenerationStatus.NEEDS_REVIEW, "openai-compatible")
    assert use_openai.requests[0].body["model"] == "llama-3.1-8b-instruct"


def test_anthropic_is_forced_through_the_plan_tool(trainer, generate, use_anthropic, good_plan):
    use_anthropic.script(plan(good_plan))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.NEEDS_REVIEW
    assert (generation.input_tokens, generation.output_tokens) == (1500, 900)
    [request] = use_anthropic.requests
    assert request.path == "/v1/messages"
    assert request.headers["authorization"] == "Bearer sk-ant-test-key"
    assert request.body["tool_choice"] == {"type": "tool", "name": PLAN_TOOL}
    assert request.body["tools"][0]["input_schema"]["title"] == "WeeklyPlan"
    assert request.body["max_tokens"] == 16000


def test_anthropic_text_instead_of_the_tool_is_repaired(trainer, generate, use_anthropic, good_plan):
    use_anthropic.script(text("I cannot use tools today."), plan(good_plan))

    generation = _generation(generate, trainer)

    assert generation.status == GenerationStatus.NEEDS_REVIEW
    assert generation.attempts == 2
    assert generation.report["turns"][0]["errors"][0]["code"] == "invalid_json"
