"""The web app: the citizen chat widget (and its demo host page), the public procedure pages,
the online-filing guide and the volunteer console. Started by `scripts/run-web`."""
