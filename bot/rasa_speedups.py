"""A fix to Rasa 3.6's server hot path, installed when our channels load (bot/channels/rest.py
and socketio.py each install it; credentials.yml has every Rasa server we run load them).

Rasa checks every action-server reply with `jsonschema.validate(result, schema)`, which
first re-validates the (constant) schema itself: ~29 ms of a ~140 ms procedure turn. A
validator built once for the same schema gives the same verdicts in ~1 ms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction


@lru_cache(maxsize=1)
def action_reply_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        action_reply_validator().validate(result)
        return True
    except ValidationError as error:  # Rasa's own message, unchanged
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid."
        )
        raise error


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result
