"""Time Rasa's check of one action server reply (read as JSON on stdin): `jsonschema.validate`,
as RemoteAction calls it, re-checks the schema itself on every call; a validator built once
does not. Prints {"validate": ms, "cached": ms}. Runs with the Rasa venv's Python."""

import json
import sys
import time

from jsonschema import validate, validators
from rasa.core.actions.action import RemoteAction


def ms(check, n=100):
    start = time.perf_counter()
    for _ in range(n):
        check()
    return (time.perf_counter() - start) / n * 1000


schema = RemoteAction.action_response_format_spec()
result = json.load(sys.stdin)
cached = validators.validator_for(schema)(schema)
print(json.dumps({"validate": ms(lambda: validate(result, schema)), "cached": ms(lambda: cached.validate(result))}))
