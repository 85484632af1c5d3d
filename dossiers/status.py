"""The 10 statuses of the national list (1-10) and the overdue rule.

What a status is called and what it tells the citizen (vi/en) is wording, so it lives with the
other answers: answers/templates/{vi,en}/_dossier.j2, rendered by answers.compose
(dossier_status_name, dossier_explanation, dossier_next_step).
"""

from __future__ import annotations

from datetime import date

from dossiers.model import Dossier

STATUS_CODES: tuple[int, ...] = tuple(range(1, 11))
# Waiting on the administration, so a passed appointment date means it is late: 1 (newly
# registered), 2 (accepted), 4 (in progress). 5 and 6 wait on the citizen; 3, 7, 8, 10 are
# closed; 9 is done (the result waits for pickup).
COUNTS_OVERDUE = frozenset({1, 2, 4})


def check_code(code: int) -> int:
    """`code` if it is one of the national list's, else ValueError."""
    if code not in STATUS_CODES:
        raise ValueError(f"unknown status code {code}")
    return code


def is_overdue(dossier: Dossier, today: date) -> bool:
    """Past its appointment date while still waiting on the administration (1, 2, 4)."""
    if dossier.appointment_date is None:
        return False
    return check_code(dossier.status_code) in COUNTS_OVERDUE and dossier.appointment_date < today
