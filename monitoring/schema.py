"""Document LoggedJWTAuthentication in OpenAPI exactly as simplejwt's bearer scheme (`jwtAuth`)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class LoggedJWTScheme(SimpleJWTScheme):
    target_class = "monitoring.authentication.LoggedJWTAuthentication"
