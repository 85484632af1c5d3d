"""Run by tests/test_rasa_server_fixes.py inside the Rasa env (Python 3.10): our fixes to
Rasa's hot path keep Rasa's behaviour. Prints one JSON object."""
import json
import sys

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain

import bot.channels  # noqa: F401  installs bot.rasa_speedups, as the server does
from bot.tracker_store import MaskingSQLTrackerStore

GOOD = {"events": [{"event": "slot", "name": "aspect", "value": "fees", "timestamp": None}],
        "responses": [{"text": "Lệ phí", "custom": {"type": "procedure", "code": "1.001193"}, "buttons": []}]}
BAD = [{"events": [{"event": "no_such_event"}]}, {"responses": "not a list"}, {"events": [{"name": "x"}]}]


def verdict(check, reply) -> bool:
    try:
        check(reply)
        return True
    except jsonschema.ValidationError:
        return False


action = RemoteAction("action_answer_procedure", None)
schema = RemoteAction.action_response_format_spec()
ours = [verdict(action._validate_action_result, r) for r in [GOOD, *BAD]]
rasas = [verdict(lambda r: jsonschema.validate(r, schema), r) for r in [GOOD, *BAD]]
installed = RemoteAction._validate_action_result.__module__

store = MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=sys.argv[1])
with store.engine.connect() as connection:
    journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
print(json.dumps({"ours": ours, "rasa": rasas, "installed": installed, "journal": journal, "synchronous": synchronous}))
