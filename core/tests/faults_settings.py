"""Settings for worker processes started by test_faults: the test settings, with the data-source
folder of the test (the test settings otherwise pick a fresh temporary one per process) and a real
broker instead of eager tasks."""
import os
from pathlib import Path

from config.settings.test import *  # noqa: F401,F403

CELERY_TASK_ALWAYS_EAGER = False
if os.environ.get("FAULTS_DATA_SOURCE_FILES_DIR"):
    DATA_SOURCE_FILES_DIR = Path(os.environ["FAULTS_DATA_SOURCE_FILES_DIR"])
