from typing import Any

import factory

from accounts.models import User
from accounts.services import user_create

DEFAULT_PASSWORD = "correct horse battery 9"


class UserFactory(factory.Factory):
    """Users are made through the service, so they get a quota, settings and a personal workspace."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = DEFAULT_PASSWORD
    role = User.Role.USER

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        return user_create(**kwargs)
