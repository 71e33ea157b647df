"""A trainer reviews an AI draft in a real browser: sign in, open the draft, edit a set count, approve."""

import json
from pathlib import Path

import pytest

from aiplans.models import GenerationStatus
from aiplans.services import generation_request_create
from tests.aiplans.conftest import REQUEST, next_monday
from tests.factories import PASSWORD, ClientFactory, TrainerFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: `make test` installs it with apt-get when run as root.")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        yield page
        browser.close()


# serialized_rollback: the flush after a transactional test would take the migrations' seeded rows with it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_trainer_edits_and_approves_a_draft_that_the_client_then_reads(live_server, browser_page, api_as):
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    generation, _ = generation_request_create(user=trainer, client_id=client.pk, **REQUEST)
    generation.refresh_from_db()
    assert generation.status == GenerationStatus.NEEDS_REVIEW
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", trainer.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/aiplans/plangeneration/")
    page.click(f"a[href$='/admin/aiplans/plangeneration/{generation.pk}/change/']")
    assert page.inner_text("#generation-status") == "Needs review"
    assert "Passed every check." in page.inner_text("#report")

    document = json.loads(page.input_value("#id_document"))
    first = document["days"][0]["exercises"][0]
    first["sets"] = 5 if first["sets"] != 5 else 4
    page.fill("#id_document", json.dumps(document))
    page.fill("#id_week_start", next_monday().isoformat())
    page.click("input[name=_approve]")
    assert "is now the client's active plan" in page.inner_text(".messagelist")

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.APPROVED
    response = api_as(client).get("/api/v1/me/plan/", {"date": next_monday().isoformat()})
    assert response.status_code == 200
    assert response.json()["days"][0]["exercises"][0]["sets"] == first["sets"]
