"""`rasa data validate` on our domain and data, run with the real Rasa 3.6 (Python 3.10 env)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import rasa_env

REPO = Path(__file__).resolve().parents[1]
# Responses uttered by custom actions or forms, which Rasa's validator cannot see being used.
USED_BY_ACTIONS_OR_FORMS = {
    "utter_restart",  # said by Rasa's own action_restart
    "utter_action_failed",  # actions/boundary.py
    "utter_out_of_scope",  # actions/procedures.py, unless open choices make it a refinement
    "utter_ask_dossier_code",
    "utter_ask_identity_digits",
    "utter_invalid_dossier_code",
    "utter_invalid_identity_digits",
    "utter_no_candidates",
    "utter_default",
}


def test_rasa_data_validate_is_clean(tmp_path):
    result = subprocess.run(
        [
            str(REPO / ".venv-rasa/bin/rasa"),
            "data",
            "validate",
            "--domain",
            "bot/domain",
            "--data",
            "data",
            "--config",
            "config.yml",
        ],
        cwd=REPO,
        env=rasa_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = re.findall(r"UserWarning: (.+)", output)
    unexpected = [
        w
        for w in warnings
        if not any(f"'{name}' is not used in any story or rule" in w for name in USED_BY_ACTIONS_OR_FORMS)
    ]
    assert not unexpected, unexpected
