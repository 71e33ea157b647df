"""The models that write plan drafts, behind one small interface.

`provider_get()` returns the provider that settings.LLM_PROVIDER names. Each takes a `Prompt` (the
conversation so far plus the request and catalogue it was rendered from) and returns the model's
answer as text; validation is the caller's. SDK retries are off (`max_retries=0`): the Celery task
owns retries, and a provider says whether a failure is worth one by raising `ProviderUnavailable`
(network, timeout, 429, 5xx) or `ProviderRefused` (anything a retry would not fix).
"""

import json
import time
from dataclasses import dataclass, field
from typing import Protocol

import anthropic
import openai
from django.conf import settings

from aiplans.offline import generate_plan
from aiplans.planning import CatalogueEntry, PlanRequest
from kinetix.coaching.plan_document import json_schema

SCHEMA_NAME = "WeeklyPlan"
PLAN_TOOL = "submit_weekly_plan"


@dataclass(frozen=True)
class Message:
    role: str  # "user" or "assistant"
    content: str


@dataclass
class Prompt:
    system: str
    messages: list[Message]
    request: PlanRequest
    catalogue: dict[str, CatalogueEntry] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    text: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0


class ProviderUnavailable(Exception):
    """The model could not be reached or was busy; trying again later may work."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderRefused(Exception):
    """The model's service refused the call in a way no retry fixes (configuration, bad request)."""


class PlanProvider(Protocol):
    name: str
    model: str

    def answer(self, *, prompt: Prompt) -> Answer: ...


def _retry_after(headers) -> float | None:
    try:
        return float(headers.get("retry-after")) if headers is not None and headers.get("retry-after") else None
    except ValueError:
        return None


def strict_schema(schema: dict) -> dict:
    """Return the WeeklyPlan schema as strict structured outputs want it: every property required, none extra."""
    schema = json.loads(json.dumps(schema))

    def visit(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            if node.get("default", ...) is None:
                del node["default"]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return schema


class OfflineProvider:
    """The deterministic generator of aiplans.offline: no network, same answer for the same request."""

    name = "offline"
    model = "kinetix-offline-v1"

    def answer(self, *, prompt: Prompt) -> Answer:
        started = time.monotonic()
        document = generate_plan(request=prompt.request, catalogue=prompt.catalogue)
        latency = int((time.monotonic() - started) * 1000)
        return Answer(text=json.dumps(document), model=self.model, latency_ms=latency)


class OpenAIProvider:
    """OpenAI's chat completions with structured outputs (the WeeklyPlan JSON Schema), or a compatible server."""

    def __init__(self, *, name: str, model: str, api_key: str, base_url: str | None, timeout: float) -> None:
        self.name = name
        self.model = model
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)

    def answer(self, *, prompt: Prompt) -> Answer:
        messages = [{"role": "system", "content": prompt.system}]
        messages += [{"role": m.role, "content": m.content} for m in prompt.messages]
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": strict_schema(json_schema()), "strict": True},
        }
        started = time.monotonic()
        try:
            completion = self.client.chat.completions.create(
                model=self.model, messages=messages, response_format=response_format
            )
        except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as exc:
            raise ProviderUnavailable(f"{self.name}: {exc}", retry_after=_retry_after(_headers(exc))) from exc
        except openai.APIStatusError as exc:
            raise ProviderRefused(f"{self.name} answered {exc.status_code}: {exc.message}") from exc
        latency = int((time.monotonic() - started) * 1000)
        message = completion.choices[0].message if completion.choices else None
        text = (message.content or message.refusal or "") if message else ""
        usage = completion.usage
        return Answer(
            text=text,
            model=completion.model or self.model,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            latency_ms=latency,
        )


class AnthropicProvider:
    """Anthropic's messages API, the plan forced through a tool whose input schema is the WeeklyPlan schema."""

    name = "anthropic"
    max_tokens = 16000

    def __init__(self, *, model: str, api_key: str, base_url: str | None, timeout: float) -> None:
        self.model = model
        # An explicit timeout also keeps the SDK from demanding streaming for a large max_tokens.
        self.client = anthropic.Anthropic(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
        self.timeout = timeout

    def answer(self, *, prompt: Prompt) -> Answer:
        tool = {
            "name": PLAN_TOOL,
            "description": "Submit the weekly plan as a WeeklyPlan document.",
            "input_schema": json_schema(),
        }
        started = time.monotonic()
        try:
            message = self.client.messages.create(
                model=self.model,
                max_tokens=self.max_tokens,
                system=prompt.system,
                messages=[{"role": m.role, "content": m.content} for m in prompt.messages],
                tools=[tool],
                tool_choice={"type": "tool", "name": PLAN_TOOL},
                timeout=self.timeout,
            )
        except (anthropic.APIConnectionError, anthropic.RateLimitError, anthropic.InternalServerError) as exc:
            raise ProviderUnavailable(f"anthropic: {exc}", retry_after=_retry_after(_headers(exc))) from exc
        except anthropic.APIStatusError as exc:
            if exc.status_code == 529:  # overloaded
                raise ProviderUnavailable(f"anthropic: {exc}", retry_after=_retry_after(_headers(exc))) from exc
            raise ProviderRefused(f"anthropic answered {exc.status_code}: {exc.message}") from exc
        latency = int((time.monotonic() - started) * 1000)
        tool_inputs = [block.input for block in message.content if block.type == "tool_use"]
        texts = [block.text for block in message.content if block.type == "text"]
        text = json.dumps(tool_inputs[0]) if tool_inputs else "".join(texts)
        return Answer(
            text=text,
            model=message.model or self.model,
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            latency_ms=latency,
        )


def _headers(exc: Exception):
    response = getattr(exc, "response", None)
    return response.headers if response is not None else None


def provider_get() -> PlanProvider:
    """Return the provider that the settings select."""
    name = settings.LLM_PROVIDER
    timeout = settings.LLM_TIMEOUT_SECONDS
    if name == "offline":
        return OfflineProvider()
    if name == "openai":
        return OpenAIProvider(
            name=name,
            model=settings.LLM_MODEL or "gpt-4.1-mini",
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=timeout,
        )
    if name == "openai-compatible":
        # Local servers (vLLM, Ollama, llama.cpp) mostly ignore the key, but the client wants one.
        return OpenAIProvider(
            name=name,
            model=settings.LLM_MODEL,
            api_key=settings.OPENAI_API_KEY or "not-needed",
            base_url=settings.OPENAI_BASE_URL,
            timeout=timeout,
        )
    if name == "anthropic":
        return AnthropicProvider(
            model=settings.LLM_MODEL or "claude-sonnet-4-5",
            api_key=settings.ANTHROPIC_API_KEY,
            base_url=settings.ANTHROPIC_BASE_URL or None,
            timeout=timeout,
        )
    raise ProviderRefused(f"Unknown LLM_PROVIDER {name!r}.")
