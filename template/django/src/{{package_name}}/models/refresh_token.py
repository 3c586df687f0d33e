"""Refresh tokens, tracked server-side so they can be rotated and revoked."""

from django.db import models
from django.utils import timezone


class RefreshToken(models.Model):
    #: The token's `jti` claim.
    id = models.UUIDField(primary_key=True, editable=False)
    user = models.ForeignKey("User", on_delete=models.CASCADE, related_name="refresh_tokens")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "refresh_tokens"

    def __str__(self) -> str:
        return str(self.id)
