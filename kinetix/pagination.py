from django.conf import settings
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination whose `page_size` a client may lower or raise up to a cap."""

    page_size_query_param = "page_size"
    max_page_size = settings.MAX_PAGE_SIZE
