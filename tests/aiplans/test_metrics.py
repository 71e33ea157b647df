"""AI generation metrics, counted by the real flow: the API, the eager task, the providers against the fakes."""

import copy

import pytest
from prometheus_client import REGISTRY

from aiplans.models import GenerationStatus, PlanGeneration
from tests.fakes.llm_server import plan, status

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def generations(provider: str) -> dict[str, float]:
    outcomes = ("ok", "invalid", "refused", "unavailable")
    return {o: sample("kinetix_ai_generations_total", provider=provider, outcome=o) for o in outcomes}


def llm(provider: str) -> tuple[float, float, float]:
    """Calls, input tokens and output tokens counted so far for the provider."""
    return (
        sample("kinetix_llm_request_duration_seconds_count", provider=provider),
        sample("kinetix_llm_tokens_total", provider=provider, kind="input"),
        sample("kinetix_llm_tokens_total", provider=provider, kind="output"),
    )


def _generation(generate, trainer) -> PlanGeneration:
    response = generate(trainer)
    assert response.status_code == 202
    return PlanGeneration.objects.get(pk=response.data["id"])


def test_an_offline_generation_counts_one_ok_and_one_model_call(trainer, generate):
    before, calls_before = generations("offline"), llm("offline")

    assert _generation(generate, trainer).status == GenerationStatus.NEEDS_REVIEW

    assert generations("offline") == {**before, "ok": before["ok"] + 1}
    calls, input_tokens, output_tokens = llm("offline")
    assert calls == calls_before[0] + 1
    assert (input_tokens, output_tokens) == calls_before[1:]  # the offline generator uses no tokens
    assert sample("kinetix_llm_request_duration_seconds_sum", provider="offline") >= 0


def test_the_models_tokens_are_counted_by_kind(trainer, generate, use_openai, good_plan):
    use_openai.script(plan(good_plan))
    before, calls_before = generations("openai"), llm("openai")

    assert _generation(generate, trainer).status == GenerationStatus.NEEDS_REVIEW

    assert generations("openai") == {**before, "ok": before["ok"] + 1}
    # The fake answers 1,200 prompt and 800 completion tokens.
    assert llm("openai") == (calls_before[0] + 1, calls_before[1] + 1200, calls_before[2] + 800)


def test_a_draft_that_stays_wrong_counts_invalid_once_after_its_three_calls(trainer, generate, use_openai, good_plan):
    lacking = copy.deepcopy(good_plan)
    lacking["days"][0]["exercises"][0]["exercise"] = "kettlebell-goblet-squat"  # no kettlebell in the request
    use_openai.script(plan(lacking), plan(lacking), plan(lacking))
    before, calls_before = generations("openai"), llm("openai")

    assert _generation(generate, trainer).status == GenerationStatus.FAILED

    assert generations("openai") == {**before, "invalid": before["invalid"] + 1}
    assert llm("openai")[0] == calls_before[0] + 3


def test_a_refusal_counts_refused_and_its_call(trainer, generate, use_openai):
    use_openai.script(status(401))
    before, calls_before = generations("openai"), llm("openai")

    assert _generation(generate, trainer).status == GenerationStatus.FAILED

    assert generations("openai") == {**before, "refused": before["refused"] + 1}
    assert llm("openai") == (calls_before[0] + 1, *calls_before[1:])  # timed, though it used no tokens


def test_a_model_unreachable_after_the_retries_counts_unavailable(trainer, generate, use_openai, settings):
    settings.LLM_MAX_RETRIES = 0
    use_openai.script(status(429, retry_after="0"))
    before = generations("openai")

    assert _generation(generate, trainer).status == GenerationStatus.FAILED

    assert generations("openai") == {**before, "unavailable": before["unavailable"] + 1}
