"""Test settings: the base settings with fast hashing and no outside effects.

Everything else (database, Redis) comes from the same environment variables as production,
so CI runs the suite against PostgreSQL and Redis.
"""
import os

# Under pytest-xdist (`make test` runs two workers) each worker gets its own Redis database — tests empty
# theirs between tests — and its own data folder; pytest-django already gives each its own test database.
# Set in the environment, so that servers and workers a test starts inherit them.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker.startswith("gw") and not os.environ.get("IE_XDIST_CONFIGURED"):
    _number = int(_xdist_worker[2:] or 0)
    for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
        _url = os.environ.get(_name, "")
        if _url.startswith("redis://"):
            from urllib.parse import urlsplit, urlunsplit

            _parts = urlsplit(_url)
            _db = _parts.path.strip("/")
            _db = int(_db) if _db.isdigit() else 0
            os.environ[_name] = urlunsplit(_parts._replace(path=f"/{_db + 1 + _number}"))
    if os.environ.get("DATA_DIR"):
        os.environ["DATA_DIR"] = os.path.join(os.environ["DATA_DIR"], _xdist_worker)
    os.environ["IE_XDIST_CONFIGURED"] = "1"
    # `config.settings` (the package) has read the base settings already: read them again under the
    # worker's environment.
    import importlib

    from . import base as _base

    importlib.reload(_base)

from .base import *  # noqa: E402,F401,F403
from .base import REST_FRAMEWORK  # noqa: E402

# Argon2 is deliberately slow; tests create hundreds of users. Production keeps Argon2 first
# (asserted by a test on the base settings).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in unit tests; a separate test starts a real worker against Redis.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
                  "TEST_REQUEST_DEFAULT_FORMAT": "json"}
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
