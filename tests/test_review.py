"""The review queue end to end on real files: turns recorded as unanswered, labelled (and one label
undone and redone), exported by `knowledge review export`, and measured by `knowledge eval`: the
figures follow the labels."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analytics import review, store
from analytics.turns import conversation_hash
from tests.test_analytics import KEY, answered, bot, user
from tests.test_cli import knowledge

INDEX = Path(__file__).resolve().parents[1] / "var" / "index"
BIRTH, MARRIAGE = "1.001193", "1.000894"
QUESTION = "đăng ký khai sinh cho con mới sinh"


def hit_at_1(output: str) -> float:
    match = re.search(r"^all\s+\d+\s+([\d.]+)", output, flags=re.M)
    assert match, output
    return float(match.group(1))


def row_of(exported: Path, query: str) -> str:
    [line] = [x for x in exported.read_text(encoding="utf-8").splitlines() if json.loads(x)["query"] == query]
    return line


@pytest.fixture
def recorded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    recorder = store.TurnRecorder(url, KEY)
    now = time.time()
    for n, text in enumerate([QUESTION, QUESTION, "xin giấy phép nuôi rồng", "thủ tục cấp phép bay flycam"]):
        recorder.observe(f"s{n}", [user(text, "ask_procedure", now + n), bot({"type": "no_answer"}, now + n + 0.1)])
    recorder.flush()
    return url


def test_pending_questions_are_grouped_and_leave_the_queue_once_labelled(recorded: str) -> None:
    engine = store.make_engine(recorded)
    queue = review.pending(engine)
    assert (queue[0].text, queue[0].count, queue[0].status) == (QUESTION, 2, "no_answer")
    label_id = review.label(engine, QUESTION, "procedure", BIRTH, "qt.tinh")
    assert QUESTION not in [p.text for p in review.pending(engine)]
    assert review.undo(engine, label_id)
    assert QUESTION in [p.text for p in review.pending(engine)]  # undone: back in the queue
    with pytest.raises(ValueError):
        review.label(engine, QUESTION, "procedure", "", "qt.tinh")


def test_a_down_vote_brings_the_question_it_answered_and_a_handoff_the_question_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.sqlite'}"
    recorder = store.TurnRecorder(url, KEY)
    now = time.time()
    voted, handed = "voted-sender", "handed-sender"
    recorder.observe(
        voted,
        [
            *answered(BIRTH, now, "khai sinh cho con cần gì"),
            *answered(MARRIAGE, now + 5, "còn kết hôn thì sao"),
            *answered(MARRIAGE, now + 60, "kết hôn lần hai"),  # after the vote: not what was voted on
        ],
    )
    recorder.observe(
        handed,
        [
            *answered(BIRTH, now, "con tôi sinh ở nước ngoài thì khai sinh thế nào"),
            user("cho tôi gặp cán bộ", "request_human", now + 3),
            bot({"type": "handoff_offer"}, now + 3.1),
        ],
    )
    recorder.flush()
    engine = store.make_engine(url)
    assert review.pending(engine) == [review.Pending("con tôi sinh ở nước ngoài thì khai sinh thế nào", 1, "handoff")]

    at = datetime.fromtimestamp(now + 30, UTC)
    votes = [
        review.Vote(conversation_hash(voted, KEY), at, BIRTH),  # the earlier answer, named by its code
        review.Vote(conversation_hash(voted, KEY), at, ""),  # no code: the last question before the vote
        review.Vote(conversation_hash("someone-else", KEY), at, BIRTH),  # no turn: nothing to add
    ]
    queue = {p.text: (p.count, p.status) for p in review.pending(engine, down_votes=votes)}
    assert queue == {
        "khai sinh cho con cần gì": (1, "feedback_down"),
        "còn kết hôn thì sao": (1, "feedback_down"),
        "con tôi sinh ở nước ngoài thì khai sinh thế nào": (1, "handoff"),
    }
    review.label(engine, "còn kết hôn thì sao", "procedure", MARRIAGE, "qt.tinh")
    assert "còn kết hôn thì sao" not in {p.text for p in review.pending(engine, down_votes=votes)}


def test_a_label_round_trips_into_knowledge_eval(
    recorded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not (INDEX / "manifest.json").exists():
        pytest.fail("var/index is missing: run `make setup`")
    engine = store.make_engine(recorded)
    monkeypatch.setenv("ANALYTICS_DATABASE_URL", recorded)
    out, aliases = tmp_path / "review.jsonl", tmp_path / "aliases.jsonl"

    right = review.label(engine, QUESTION, "procedure", BIRTH, "qt.tinh")
    review.label(engine, "xin giấy phép nuôi rồng", "out_of_scope", "", "qt.tinh")
    review.label(engine, "thủ tục cấp phép bay flycam", "alias", MARRIAGE, "qt.tinh")  # a (wrong) alias suggestion
    exported = knowledge("review", "export", "--out", str(out), "--aliases", str(aliases))
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["query"]: r["codes"] for r in rows}[QUESTION] == [BIRTH]
    assert {r["query"]: r["codes"] for r in rows}["xin giấy phép nuôi rồng"] == []
    assert json.loads(aliases.read_text(encoding="utf-8")) == {
        "code": MARRIAGE,
        "alias": "thủ tục cấp phép bay flycam",
        "by": "qt.tinh",
    }

    only_question = tmp_path / "one.jsonl"
    only_question.write_text(row_of(out, QUESTION) + "\n", encoding="utf-8")
    labelled_right = knowledge("eval", "--index", str(INDEX), "--questions", str(only_question))
    assert labelled_right.returncode == 0, labelled_right.stderr
    assert hit_at_1(labelled_right.stdout) == 1.0

    dev = Path(__file__).resolve().parents[1] / "knowledge" / "eval" / "questions.jsonl"
    together = knowledge("eval", "--index", str(INDEX), "--questions", str(dev), "--questions", str(out), "--calibrate")
    assert together.returncode == 0, together.stderr
    dev_count = sum(1 for line in dev.read_text(encoding="utf-8").splitlines() if line.strip())
    assert f"{dev_count + len(rows)} questions," in together.stdout  # the real questions join the dev set
    assert "fit on all:" in together.stdout

    review.undo(engine, right)
    review.label(engine, QUESTION, "procedure", MARRIAGE, "qt.tinh")  # a wrong label makes the engine look wrong
    knowledge("review", "export", "--out", str(out), "--aliases", str(aliases))
    only_question.write_text(row_of(out, QUESTION) + "\n", encoding="utf-8")
    assert json.loads(only_question.read_text(encoding="utf-8"))["codes"] == [MARRIAGE]
    labelled_wrong = knowledge("eval", "--index", str(INDEX), "--questions", str(only_question))
    assert hit_at_1(labelled_wrong.stdout) == 0.0
