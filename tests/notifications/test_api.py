"""The HTTP API: device registry, inbox and preferences, each user confined to their own."""

import pytest
from fcm_django.models import FCMDevice

from notifications.models import Notification
from notifications.services import notify
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

DEVICES = "/api/v1/devices/"
INBOX = "/api/v1/notifications/"
PREFERENCES = "/api/v1/notifications/preferences/"
TOKEN = "fcm-token:APA91bH-example_token"
CONTEXT = {"trainer_name": "Ana", "plan_title": "Strength base", "week_start": "2026-03-02", "plan_id": "7"}


def _errors(response) -> dict[str, str]:
    return {error["path"]: error["code"] for error in response.json()["errors"]}


# Devices ---------------------------------------------------------------------------------------


def test_register_reregister_and_list_own_devices(api_as, client_user):
    api = api_as(client_user)

    created = api.post(DEVICES, {"registration_id": TOKEN, "type": "android", "name": "Pixel"}, format="json")
    again = api.post(DEVICES, {"registration_id": TOKEN, "type": "android", "name": "Pixel 9"}, format="json")

    assert created.status_code == 201, created.json()
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    assert again.json()["name"] == "Pixel 9"
    listed = api.get(DEVICES).json()
    assert listed["count"] == 1
    assert listed["results"][0]["registration_id"] == TOKEN


def test_a_token_registered_by_another_user_moves_to_the_new_one_and_wakes_up(api_as, client_user, other_client):
    FCMDevice.objects.create(user=other_client, registration_id=TOKEN, type="ios", active=False)

    response = api_as(client_user).post(DEVICES, {"registration_id": TOKEN, "type": "ios"}, format="json")

    assert response.status_code == 200
    device = FCMDevice.objects.get(registration_id=TOKEN)
    assert (device.user, device.active) == (client_user, True)
    assert api_as(other_client).get(DEVICES).json()["count"] == 0


def test_registration_refuses_an_unknown_type_or_an_empty_token(api_as, client_user):
    response = api_as(client_user).post(DEVICES, {"registration_id": "", "type": "fax"}, format="json")

    assert response.status_code == 400
    assert _errors(response) == {"registration_id": "blank", "type": "invalid_choice"}


def test_delete_own_device_and_not_anothers(api_as, client_user, other_client):
    FCMDevice.objects.create(user=client_user, registration_id=TOKEN, type="web")
    FCMDevice.objects.create(user=other_client, registration_id="their-token", type="web")
    api = api_as(client_user)

    assert api.delete(f"{DEVICES}their-token/").status_code == 404
    assert api.delete(f"{DEVICES}{TOKEN}/").status_code == 204
    assert list(FCMDevice.objects.values_list("registration_id", flat=True)) == ["their-token"]


def test_device_token_with_a_nul_is_404_not_500(api_as, client_user):
    assert api_as(client_user).delete(f"{DEVICES}nul%00byte/").status_code == 404


def test_devices_need_authentication(api):
    assert api.get(DEVICES).status_code == 401


# Inbox -----------------------------------------------------------------------------------------


def test_inbox_pages_newest_first_with_the_unread_count(api_as, client_user, other_client):
    for _ in range(3):
        notify(user=client_user, event="plan_activated", context=CONTEXT)
    notify(user=other_client, event="plan_activated", context=CONTEXT)
    oldest = Notification.objects.filter(user=client_user).order_by("id").first()
    Notification.objects.filter(pk=oldest.pk).update(read_at=oldest.created_at)

    body = api_as(client_user).get(INBOX, {"page_size": 2}).json()

    assert body["count"] == 3
    assert body["unread_count"] == 2
    assert len(body["results"]) == 2
    assert body["next"] is not None
    first = body["results"][0]
    assert set(first) == {
        "id",
        "event",
        "category",
        "title",
        "body",
        "data",
        "deep_link",
        "created_at",
        "read",
        "read_at",
    }
    ids = [item["id"] for item in body["results"]]
    assert ids == sorted(ids, reverse=True)
    unread = api_as(client_user).get(INBOX, {"unread": "true"}).json()
    assert unread["count"] == 2
    assert all(not item["read"] for item in unread["results"])


def test_inbox_reads_take_the_same_queries_however_many_entries(api_as, client_user, django_assert_num_queries):
    api = api_as(client_user)
    notify(user=client_user, event="plan_activated", context=CONTEXT)
    with django_assert_num_queries(3) as few:  # user, page (a last page: no count), unread count
        api.get(INBOX)
    for _ in range(15):
        notify(user=client_user, event="plan_activated", context=CONTEXT)

    with django_assert_num_queries(len(few.captured_queries)):
        api.get(INBOX)


def test_mark_one_read_and_then_all(api_as, client_user):
    first, *_ = [notify(user=client_user, event="plan_activated", context=CONTEXT) for _ in range(3)]
    api = api_as(client_user)

    response = api.post(f"{INBOX}{first.pk}/read/")

    assert response.status_code == 200
    assert response.json()["read"] is True
    assert api.get(INBOX).json()["unread_count"] == 2
    assert api.post(f"{INBOX}read-all/").json() == {"marked": 2}
    assert api.get(INBOX).json()["unread_count"] == 0
    assert api.post(f"{INBOX}read-all/").json() == {"marked": 0}


def test_a_user_cannot_read_or_mark_anothers_notification(api_as, client_user, other_client):
    theirs = notify(user=other_client, event="plan_activated", context=CONTEXT)
    api = api_as(client_user)

    response = api.post(f"{INBOX}{theirs.pk}/read/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api.get(INBOX).json()["count"] == 0
    api.post(f"{INBOX}read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


# Preferences -----------------------------------------------------------------------------------


def test_preferences_default_to_everything_on(api_as, client_user):
    body = api_as(client_user).get(PREFERENCES).json()

    assert body == {"muted_categories": [], "quiet_hours_start": None, "quiet_hours_end": None, "timezone": "UTC"}


def test_preferences_are_replaced_and_read_back(api_as):
    client = ClientFactory(timezone="Europe/Belgrade")
    api = api_as(client)
    wanted = {"muted_categories": ["billing", "workouts"], "quiet_hours_start": "22:00", "quiet_hours_end": "07:00"}

    response = api.put(PREFERENCES, wanted, format="json")

    assert response.status_code == 200, response.json()
    assert api.get(PREFERENCES).json() == {**wanted, "timezone": "Europe/Belgrade"}
    cleared = api.put(
        PREFERENCES, {"muted_categories": [], "quiet_hours_start": None, "quiet_hours_end": None}, format="json"
    )
    assert cleared.json()["quiet_hours_start"] is None


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"muted_categories": ["spam"], "quiet_hours_start": None, "quiet_hours_end": None},
            {"muted_categories.0": "invalid_choice"},
        ),
        (
            {"muted_categories": [], "quiet_hours_start": "22:00", "quiet_hours_end": None},
            {"quiet_hours_end": "required"},
        ),
        (
            {"muted_categories": [], "quiet_hours_start": "22:00", "quiet_hours_end": "22:00"},
            {"quiet_hours_end": "empty_range"},
        ),
    ],
)
def test_invalid_preferences_are_refused_with_paths(api_as, client_user, body, errors):
    response = api_as(client_user).put(PREFERENCES, body, format="json")

    assert response.status_code == 400
    assert _errors(response) == errors
