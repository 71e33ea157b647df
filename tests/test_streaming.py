import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kinetix import streaming
from kinetix.coaching.models import Exercise
from kinetix.streaming import ConnectionBusy, rows_streamed
from tests.factories import ExerciseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(monkeypatch) -> list[tuple[int, str]]:
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 2)  # several chunks for a few rows
    ExerciseFactory.create_batch(5)
    return list(Exercise.objects.order_by("pk").values_list("pk", "slug"))


def test_rows_stream_in_the_querysets_order_as_one_logged_query(library):
    with CaptureQueriesContext(connection) as queries:
        rows = list(rows_streamed(Exercise.objects.order_by("pk").values_list("pk", "slug")))

    assert rows == library
    assert len(queries) == 1
    assert "coaching_exercise" in queries[0]["sql"]


def test_a_query_while_rows_stream_is_refused_and_the_connection_serves_after(library):
    rows = rows_streamed(Exercise.objects.order_by("pk").values_list("pk", "slug"))
    first = next(rows)

    # Without the refusal this query would wait for the stream forever (psycopg's connection lock).
    with pytest.raises(ConnectionBusy):
        Exercise.objects.count()

    assert [first, *rows] == library
    assert Exercise.objects.count() == len(library)


def test_a_stream_left_unread_is_cancelled_and_the_connection_serves_after(library):
    rows = rows_streamed(Exercise.objects.order_by("pk").values_list("pk", "slug"))
    assert next(rows) == library[0]

    rows.close()  # a client that hung up on a streamed answer

    assert Exercise.objects.count() == len(library)


def test_a_queryset_that_cannot_match_streams_nothing_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert list(rows_streamed(Exercise.objects.filter(pk__in=[]).values_list("pk"))) == []
