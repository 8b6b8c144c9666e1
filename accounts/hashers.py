"""Password hashing: Argon2id with OWASP's recommended parameters.

Django's default Argon2 costs 100 MiB and 8 lanes per hash: on a small server a burst of sign-ins then
holds hundreds of MiB and a core per login. OWASP's Password Storage Cheat Sheet lists m=19 MiB, t=2,
p=1 as an equally recommended Argon2id configuration. Hashes made with other parameters still verify,
and are re-hashed with these at the next sign-in (Django's `must_update`).
"""
from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    algorithm = "argon2"  # the same encoded format: existing hashes verify unchanged
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
