"""Test settings: the base settings with fast hashing and no outside effects.

Everything else (database, Redis) comes from the same environment variables as production,
so CI runs the suite against PostgreSQL and Redis.
"""
from .base import *  # noqa: F401,F403
from .base import REST_FRAMEWORK

# Argon2 is deliberately slow; tests create hundreds of users. Production keeps Argon2 first
# (asserted by a test on the base settings).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in unit tests; a separate test starts a real worker against Redis.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Threads of async tests open their own connections; close them after each use so the test
# database can be dropped at the end.
from .base import DATABASES  # noqa: E402

DATABASES["default"]["CONN_MAX_AGE"] = 0

# Data-source files of tests live in a temporary directory, never in the developer's var/.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

DATA_SOURCE_FILES_DIR = Path(tempfile.mkdtemp(prefix="ie-test-sources-"))
DOCUMENTS_DIR = Path(tempfile.mkdtemp(prefix="ie-test-documents-"))
