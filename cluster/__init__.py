"""The production profile on one machine (`make cluster-up` / `make cluster-down`): PostgreSQL and
Redis in a state directory, N Rasa servers, M action servers and K web apps under supervisord,
behind HAProxy. Plain Python (stdlib + Jinja2): runs from the app venv."""
