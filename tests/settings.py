"""Test runs use the real settings; only the demo secret is allowed, as `make test` does."""

import os

os.environ.setdefault("PILOTIS_INSECURE_DEMO", "1")

from pilotis.settings import *  # noqa: E402,F403

# Fast hashing: the access matrix creates hundreds of users (production keeps PBKDF2).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Background tasks run inline in tests (the Redis path is tested on its own, tests/shell).
HUEY = {**HUEY, "immediate": True}  # noqa: F405

# Each test process its own cache (the shared file cache and Redis are tested on their own,
# tests/home), and no board computed ahead after every load of every test (tested on its own).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
WARM_BOARDS = False
