from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsTrainer(BasePermission):
    message = "Only trainers may do this."

    def has_permission(self, request: Request, view: object) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_trainer)


class IsClient(BasePermission):
    message = "Only clients may do this."

    def has_permission(self, request: Request, view: object) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_client)
