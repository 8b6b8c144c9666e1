from rest_framework.pagination import PageNumberPagination


class PageLimitPagination(PageNumberPagination):
    """`?page=1&limit=20` as in the seeds; `{count, next, previous, results}` in the body."""

    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 200
