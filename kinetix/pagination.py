from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from drf_spectacular.utils import inline_serializer
from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response


class PageFirstPaginator(Paginator):
    """Django's paginator, but it reads the page before counting and counts only when the page cannot tell.

    A page with fewer rows than the page size is the last one (or the empty first one): the total is the
    rows before it plus its own, so the COUNT query is skipped. A full or an empty later page still counts.
    """

    def page(self, number: int | str) -> Page:
        try:
            index = int(number) if isinstance(number, int | str) else 0
        except ValueError:
            index = 0
        if index < 1 or self.orphans:
            return super().page(number)  # Django's own errors, and its rule for orphans
        bottom = (index - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if len(rows) < self.per_page and (rows or index == 1):
            self.count = bottom + len(rows)
        return self._get_page(rows, self.validate_number(index), self)


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination whose `page_size` a client may lower or raise up to a cap."""

    django_paginator_class = PageFirstPaginator
    page_size_query_param = "page_size"
    max_page_size = settings.MAX_PAGE_SIZE


def paginated_response(
    *, queryset: QuerySet, serializer_class: type[serializers.Serializer], request: Request, view: object
) -> Response:
    """Render one page of `queryset` as `{count, next, previous, results}`."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context={"request": request}).data)


def paginated_schema(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The OpenAPI shape of a page of `serializer_class` items."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
