import firebase_admin
import pytest
from fcm_django.models import FCMDevice
from firebase_admin import credentials, messaging
from firebase_admin.messaging import _MessagingService
from google.auth.credentials import AnonymousCredentials

from notifications.push import FIREBASE_APP_NAME
from tests.notifications.fake_fcm import FakeFcm, FakeFcmServer

FAKE_PROJECT = "kinetix-test"


class AnonymousCredential(credentials.Base):
    """Firebase credentials that sign nothing: the fake FCM server asks for no token."""

    def get_credential(self) -> AnonymousCredentials:
        return AnonymousCredentials()


@pytest.fixture(scope="session")
def fake_fcm_server():
    server = FakeFcmServer()
    yield server.start()
    server.stop()


@pytest.fixture
def fcm(fake_fcm_server: FakeFcm, monkeypatch):
    """FCM configured and reached through firebase-admin's real send path, at the fake server."""
    fake_fcm_server.reset()
    # firebase-admin has no messaging emulator; its endpoint is this class constant (see test_fcm_endpoint_hook).
    monkeypatch.setattr(_MessagingService, "FCM_URL", fake_fcm_server.send_url_template)
    app = firebase_admin.initialize_app(AnonymousCredential(), {"projectId": FAKE_PROJECT}, name=FIREBASE_APP_NAME)
    yield fake_fcm_server
    firebase_admin.delete_app(app)


@pytest.fixture
def add_device():
    """Register an FCM device of a user directly, as fcm-django stores it."""

    def make(user, token: str, *, type: str = "android", active: bool = True) -> FCMDevice:
        return FCMDevice.objects.create(user=user, registration_id=token, type=type, active=active)

    return make


@pytest.fixture
def fcm_batches(monkeypatch) -> list[int]:
    """The size of each FCM batch call (firebase-admin's send_each) made during the test, in order."""
    sizes: list[int] = []
    send_each = messaging.send_each

    def counting_send_each(messages, *args, **kwargs):
        sizes.append(len(messages))
        return send_each(messages, *args, **kwargs)

    monkeypatch.setattr(messaging, "send_each", counting_send_each)
    return sizes
