"""Django's Argon2 hasher at the cost this service budgets for a login."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """argon2id at OWASP's recommended minimum cost (19 MiB, 2 passes, 1 lane):
    about 20 ms a hash, so a burst of logins cannot starve the server's CPU.
    Django's default (100 MiB, 8 lanes) costs several times more per login."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
