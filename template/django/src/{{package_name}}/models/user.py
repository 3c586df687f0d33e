"""Users: accounts that log in with an e-mail address and a password."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

EMAIL_MAX_LENGTH = 320
FULL_NAME_MAX_LENGTH = 200


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        """An administrator of the admin site (`manage.py createsuperuser`)."""
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    #: Stored lower-case; the unique index makes e-mails case-insensitive.
    email = models.EmailField(max_length=EMAIL_MAX_LENGTH, unique=True)
    full_name = models.CharField(max_length=FULL_NAME_MAX_LENGTH, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    #: May log in to the admin site.
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        db_table = "users"

    def __str__(self) -> str:
        return self.email
