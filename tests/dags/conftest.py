"""Airflow reads its settings once, at first import: point it at a throwaway home before any test runs."""

import os
import sys
import tempfile

from etl.config import REPO_ROOT

os.environ.setdefault("CAMPAIGN_VAR_DIR", tempfile.mkdtemp(prefix="campaign-dagtests-"))
from etl.local import airflow_env  # noqa: E402  (needs CAMPAIGN_VAR_DIR first)

os.environ.update(airflow_env())
sys.path.insert(0, str(REPO_ROOT / "plugins"))
