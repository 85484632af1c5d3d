"""Run by tests/test_rasa_server_fixes.py inside the Rasa env (Python 3.10): our fixes to
Rasa's hot path keep Rasa's behaviour. Prints one JSON object."""

import importlib
import json
import sys

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.core.run import create_http_input_channels
from rasa.shared.core.domain import Domain

from bot.tracker_store import MaskingSQLTrackerStore

rasas_check = RemoteAction._validate_action_result
import bot.channels  # noqa: E402,F401  the package alone (guard.py's home) installs nothing

package_alone = RemoteAction._validate_action_result is rasas_check
each = {}  # every channel module installs the fix by itself
for module in ("bot.channels.rest", "bot.channels.socketio"):
    RemoteAction._validate_action_result = rasas_check
    sys.modules.pop(module, None)
    importlib.import_module(module)
    each[module] = RemoteAction._validate_action_result.__module__
RemoteAction._validate_action_result = rasas_check
for module in each:
    sys.modules.pop(module, None)
create_http_input_channels(None, "credentials.yml")  # as `rasa run` loads our channels

GOOD = {
    "events": [{"event": "slot", "name": "aspect", "value": "fees", "timestamp": None}],
    "responses": [{"text": "Lệ phí", "custom": {"type": "procedure", "code": "1.001193"}, "buttons": []}],
}
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
    busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
print(
    json.dumps(
        {
            "ours": ours,
            "rasa": rasas,
            "installed": installed,
            "each": each,
            "package_alone": package_alone,
            "journal": journal,
            "synchronous": synchronous,
            "busy_timeout": busy_timeout,
        }
    )
)
