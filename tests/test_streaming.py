import pytest
from django.db import connection, transaction
from django.db.models import Func, Value
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
    connection.health_check_done = False  # as at a request's start: the query's cursor would check the connection
    rows = rows_streamed(Exercise.objects.order_by("pk").values_list("pk", "slug"))
    first = next(rows)

    # Without the refusal this query would wait for the stream forever (psycopg's connection lock).
    with pytest.raises(ConnectionBusy):
        Exercise.objects.count()

    assert [first, *rows] == library
    assert Exercise.objects.count() == len(library)


@pytest.mark.django_db(transaction=True)
def test_a_stream_left_unread_is_cancelled_and_the_connection_serves_after(library):
    rows = rows_streamed(Exercise.objects.order_by("pk").values_list("pk", "slug"))
    assert next(rows) == library[0]

    rows.close()  # a client that hung up on a streamed answer

    assert Exercise.objects.count() == len(library)


def test_a_stream_left_unread_in_a_transaction_keeps_the_transaction(library):
    slow = [exercise.pk for exercise in ExerciseFactory.create_batch(4)]
    # A tenth of a second a row, and rows larger than the server's 8 KB send buffer (each goes out as it is
    # made): the query is still running when the stream is left.
    slow_rows = Exercise.objects.filter(pk__in=slow).values_list(
        "pk", Func(Value(0.1), function="pg_sleep"), Value("x" * 9000)
    )
    with transaction.atomic():
        ExerciseFactory()
        rows = rows_streamed(slow_rows.order_by())
        assert next(rows)[0] in slow

        rows.close()  # read to its end, not cancelled: that would abort the transaction and the exercise written

        assert Exercise.objects.count() == len(library) + 5
    assert Exercise.objects.count() == len(library) + 5
