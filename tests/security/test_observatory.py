"""The Mozilla HTTP Observatory's grade of our headers, computed offline from captured responses."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

GRADER = Path(__file__).parent / "observatory"
# The Observatory's own request headers (src/retriever/retriever.js, src/config.js).
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CORS_PROBE_ORIGIN = "https://http-observatory.security.mozilla.org"
PAGES = {"api": "/api/v1/me/", "admin": "/admin/login/", "docs": "/api/docs/"}


def captured(response, url: str) -> dict:
    headers = {name.lower(): value for name, value in response.headers.items()}
    cookies = [morsel.OutputString() for morsel in response.cookies.values()]
    if cookies:
        headers["set-cookie"] = cookies
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return {"url": url, "status": response.status_code, "headers": headers, "body": body.decode()}


def observatory_grade(host: str, path: str) -> dict:
    client = APIClient()
    page = client.get(path, secure=True, HTTP_HOST=host, HTTP_ACCEPT=ACCEPT)
    http = client.get(path, HTTP_HOST=host, HTTP_ACCEPT=ACCEPT)
    cors_request = {"Origin": CORS_PROBE_ORIGIN, "Access-Control-Request-Method": "GET"}
    cors = client.options(
        path, secure=True, HTTP_HOST=host, HTTP_ORIGIN=CORS_PROBE_ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    scan = {
        "hostname": host,
        "page": captured(page, f"https://{host}{path}"),
        "http": captured(http, f"http://{host}{path}"),
        "cors": {**captured(cors, f"https://{host}{path}"), "requestHeaders": cors_request},
    }
    result = subprocess.run(  # noqa: S603 - Node on our own grader script
        [shutil.which("node") or "node", "grade.mjs"],
        cwd=GRADER,
        input=json.dumps(scan),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def grader():
    if not (GRADER / "node_modules" / ".installed").exists():
        pytest.fail("The Observatory grader is not installed: run the suite with `make test`.")


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_observatory_grades_the_page_a_plus(grader, production_https, path):
    result = observatory_grade(production_https, path)

    failed = {name: test["result"] for name, test in result["tests"].items() if not test["pass"]}
    assert failed == {}
    assert result["grade"] == "A+", result
