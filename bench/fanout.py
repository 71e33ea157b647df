"""Benchmark 4, notification fan-out: one notification pushed to 10,000 devices through the fake FCM server.

    python -m bench.fanout        (make bench-fanout)

The fake FCM server (tests/notifications/fake_fcm.py) runs in its own process, as FCM lies outside the
machine. Each measurement runs in a fresh child process, so that its peak memory is its own:
- baseline: firebase-admin's `send_each` of the same N messages in batches of 500, no database;
- fan-out: `notification_push` (notifications/push.py) for a user with N active devices, in slices of
  500: deliveries claimed (one PushDelivery per device), one fcm-django batch sent, its results stored.
Checks (exit 1 when one fails): FCM batch calls == ceil(N / 500), every device got exactly one message,
every delivery `sent`, and the fan-out's peak memory flat: from 1,000 to 10,000 devices it may grow by at
most MEMORY_GROWTH_BUDGET_MIB.
"""

import json
import math
import subprocess
import sys
import time

from bench import harness

DEVICES = (1_000, 10_000)
BATCH = 500
# Issue 9's budget here is correctness: ceil(N / 500) FCM batch calls, each device messaged exactly once,
# every delivery recorded as sent. Memory must not grow with the devices: the push holds one slice of 500
# at a time. The bare sends' own peak varies by a few MiB between runs; 10 MiB over 9,000 more devices is
# about 1 KiB a device, an eighth of what holding every delivery cost (docs/BENCHMARKS.md, fan-out).
MEMORY_GROWTH_BUDGET_MIB = 10.0
PROJECT = "kinetix-bench"


def _firebase(fcm_url: str):
    import firebase_admin
    from firebase_admin import credentials
    from firebase_admin.messaging import _MessagingService
    from google.auth.credentials import AnonymousCredentials

    from notifications.push import FIREBASE_APP_NAME

    class AnonymousCredential(credentials.Base):
        def get_credential(self) -> AnonymousCredentials:
            return AnonymousCredentials()

    # firebase-admin has no messaging emulator: its endpoint is this class constant (as in tests/notifications).
    _MessagingService.FCM_URL = fcm_url
    return firebase_admin.initialize_app(AnonymousCredential(), {"projectId": PROJECT}, name=FIREBASE_APP_NAME)


def _counting_send_each(batches: list[int]):
    from firebase_admin import messaging

    send_each = messaging.send_each

    def counting(messages, *args, **kwargs):
        batches.append(len(messages))
        return send_each(messages, *args, **kwargs)

    messaging.send_each = counting


def child(mode: str, devices: int, fcm_url: str, user_id: int) -> None:
    """One measurement in this fresh process; print its JSON."""
    harness.attach()
    from firebase_admin import messaging

    app = _firebase(fcm_url)
    batches: list[int] = []
    _counting_send_each(batches)
    rss_start = harness.rss_mib()
    if mode == "baseline":
        started = time.perf_counter()
        tokens = [f"ok-bench-{n:05}" for n in range(devices)]
        sent = 0
        for offset in range(0, devices, BATCH):
            messages = [
                messaging.Message(token=token, notification=messaging.Notification(title="t", body="b"))
                for token in tokens[offset : offset + BATCH]
            ]
            sent += messaging.send_each(messages, app=app).success_count
        seconds = time.perf_counter() - started
        outcome = {"sent": sent}
    else:
        from django.db.models import Count

        from kinetix.accounts.models import User
        from notifications.models import DeliveryStatus, PushDelivery
        from notifications.push import notification_push
        from notifications.services import notify

        user = User.objects.get(pk=user_id)
        context = {"trainer_name": "Bench", "plan_title": "Block", "week_start": "2026-03-02", "plan_id": "7"}
        notification = notify(user=user, event="plan_activated", context=context)
        started = time.perf_counter()
        notification_push(notification_id=notification.pk)
        seconds = time.perf_counter() - started
        statuses = dict(
            PushDelivery.objects.filter(notification=notification).values_list("status").annotate(n=Count("id"))
        )
        outcome = {"sent": statuses.get(DeliveryStatus.SENT, 0), "statuses": statuses}
    print(
        json.dumps(
            {
                "seconds": seconds,
                "batches": batches,
                "rss_start_mib": rss_start,
                "peak_mib": harness.peak_rss_mib(),
                **outcome,
            }
        )
    )


def _fake_fcm() -> tuple[subprocess.Popen, str]:
    code = (
        "import sys\n"
        "from tests.notifications.fake_fcm import FakeFcmServer\n"
        "server = FakeFcmServer(); fake = server.start()\n"
        "print(fake.send_url_template, flush=True)\n"
        "for line in sys.stdin:\n"
        "    print(len(fake.received), len({r.token for r in fake.received}), flush=True)\n"
        "    fake.reset()\n"
    )
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [harness.PYTHON, "-c", code], cwd=harness.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    return process, process.stdout.readline().strip()


def _received(fake: subprocess.Popen) -> tuple[int, int]:
    fake.stdin.write("\n")
    fake.stdin.flush()
    total, distinct = fake.stdout.readline().split()
    return int(total), int(distinct)


def _measure(mode: str, devices: int, url: str, user_id: int = 0) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [harness.PYTHON, "-m", "bench.fanout", "--child", mode, str(devices), url, str(user_id)],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    harness.setup()
    from fcm_django.models import FCMDevice

    from bench import seed

    fake, url = _fake_fcm()
    rows, ok = [], True
    peaks = {}
    try:
        for devices in DEVICES:
            user = seed.client_create(trainer=seed.trainer_create(f"bench-fanout-trainer-{devices}"), number=devices)
            FCMDevice.objects.bulk_create(
                FCMDevice(user=user, registration_id=f"ok-{devices}-{n:05}", type="android", active=True)
                for n in range(devices)
            )
            base = _measure("baseline", devices, url)
            _received(fake)
            run = _measure("fanout", devices, url, user.pk)
            received, distinct = _received(fake)
            expected = math.ceil(devices / BATCH)
            ratio = run["seconds"] / base["seconds"]
            peaks[devices] = run["peak_mib"] - run["rss_start_mib"]
            correct = (
                len(run["batches"]) == expected
                and run["sent"] == devices
                and received == distinct == devices
                and base["sent"] == devices
            )
            ok = ok and correct
            rows.append(
                [
                    f"{devices:,} devices",
                    base["seconds"],
                    run["seconds"],
                    ratio,
                    f"{len(run['batches'])} (expect {expected})",
                    f"{received:,}",
                    base["peak_mib"] - base["rss_start_mib"],
                    peaks[devices],
                    harness.verdict(correct),
                ]
            )
    finally:
        fake.stdin.close()
        fake.wait(timeout=10)
    growth = peaks[DEVICES[-1]] - peaks[DEVICES[0]]
    per_device_kib = growth * 1024 / (DEVICES[-1] - DEVICES[0])
    flat = growth <= MEMORY_GROWTH_BUDGET_MIB
    harness.report(
        harness.table(
            "Notification fan-out through the fake FCM server (each measurement a fresh process)",
            [
                "fan-out",
                "bare send_each s",
                "notification_push s",
                "x baseline",
                "FCM batch calls",
                "messages at FCM",
                "baseline mem +MiB",
                "fan-out mem +MiB",
                "batches, once each, all sent",
            ],
            rows,
        )
        + f"\nFan-out peak memory growth from {DEVICES[0]:,} to {DEVICES[-1]:,} devices: {growth:.1f} MiB "
        f"({per_device_kib:.2f} KiB a device); budget at most {MEMORY_GROWTH_BUDGET_MIB:.0f} MiB: "
        f"{harness.verdict(flat)}"
    )
    raise SystemExit(0 if ok and flat else 1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        main()
