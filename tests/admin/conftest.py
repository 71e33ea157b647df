import pytest
from django.test import Client

from tests.factories import SuperuserFactory


@pytest.fixture
def superuser(db):
    return SuperuserFactory()


@pytest.fixture
def browser_as():
    """Return a Django test client signed in to the admin as the given user."""

    def make(user) -> Client:
        browser = Client()
        browser.force_login(user)
        return browser

    return make
