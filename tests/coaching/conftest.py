import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a write queued for its commit, as the commit of a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
