import structlog
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication


class LoggedJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication that also binds `user_id` to the request's log lines.

    DRF authenticates inside the view, after the logging middleware has bound its context,
    so the middleware alone would log lines of an API request without the user.
    """

    def authenticate(self, request: Request):
        result = super().authenticate(request)
        if result is not None:
            structlog.contextvars.bind_contextvars(user_id=result[0].pk)
        return result
