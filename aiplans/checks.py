"""System check: the LLM settings name a known provider and what it needs to reach its model."""

from django.conf import settings
from django.core import checks

PROVIDERS = ("offline", "openai", "anthropic", "openai-compatible")
NEEDS = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "openai-compatible": ("OPENAI_BASE_URL", "LLM_MODEL"),
}


@checks.register(checks.Tags.compatibility)
def llm_settings_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    provider = settings.LLM_PROVIDER
    if provider not in PROVIDERS:
        return [checks.Error(f"LLM_PROVIDER is {provider!r}; use one of {', '.join(PROVIDERS)}.", id="aiplans.E001")]
    return [
        checks.Error(f"LLM_PROVIDER={provider} needs {name}.", id="aiplans.E002")
        for name in NEEDS.get(provider, ())
        if not getattr(settings, name)
    ]
