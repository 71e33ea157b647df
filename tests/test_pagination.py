import pytest
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from kinetix.accounts.models import Role, User
from kinetix.pagination import PageNumberPagination
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


class DjangoCountingPagination(PageNumberPagination):
    """The same pagination on Django's own paginator, which always counts first."""

    django_paginator_class = pagination.DjangoPaginator


def answer(paginator_class: type[PageNumberPagination], query: dict) -> dict | str:
    paginator = paginator_class()
    request = Request(APIRequestFactory().get("/api/v1/users/", query))
    try:
        page = paginator.paginate_queryset(User.objects.filter(role=Role.CLIENT).order_by("pk"), request)
    except NotFound as exc:
        return str(exc.detail)
    response = paginator.get_paginated_response([user.pk for user in page])
    return {**response.data, "display_page_controls": paginator.display_page_controls}


def test_pages_answer_as_with_a_count_first():
    ClientFactory.create_batch(7)
    queries = [
        {"page": page, "page_size": size}
        for size in (1, 3, 7, 10)
        for page in ("1", "2", "3", "8", "last", "0", "-1", "x", "2.5")
    ] + [{}, {"page_size": 0}, {"page_size": 500}]

    for query in queries:
        assert answer(PageNumberPagination, query) == answer(DjangoCountingPagination, query), query


def test_empty_list_answers_its_first_page():
    assert answer(PageNumberPagination, {}) == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
        "display_page_controls": False,
    }


@pytest.mark.parametrize(
    ("query", "queries"),
    [
        ({"page_size": 10}, 1),  # the whole list on one page: its length is the count
        ({"page_size": 3, "page": 3}, 1),  # a short last page: the rows before it plus its own
        ({"page_size": 3}, 2),  # a full page: more may follow, so it counts
        ({"page_size": 7}, 2),
    ],
)
def test_counts_only_when_the_page_cannot_tell(query, queries, django_assert_num_queries):
    ClientFactory.create_batch(7)

    with django_assert_num_queries(queries):
        body = answer(PageNumberPagination, query)
    assert body["count"] == 7
