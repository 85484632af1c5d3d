"""The staff console of the live handoff (web/staff.py): the real web app (scripts/run-web) with
its own handoff database, accounts made with the CLI, chats put in the queue straight through the
store, and the socket.io stand-in as Rasa's HTTP API (tests/web/fake_rasa.py). The JSON API
(sign-in, CSRF, centres kept apart, claim, masked and delivered messages, cards, transfer, end,
callbacks, audit), then the page in a real browser: CSP, a new chat within 2 s, keyboard only,
axe-core and screenshots."""

from __future__ import annotations

import random
import re
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, inspect, text

from handoff.conversation import Centres
from handoff.phone import PhoneBox
from handoff.store import Chat, HandoffStore
from knowledge.locality import Localities
from tests.integration.stack import stop_process_group
from tests.web.conftest import FakeRasa, WebApp, new_page, sign_in_staff, start_web, wait_for
from tests.web.test_pages import axe_violations
from web.db import make_engine

PASSWORD = "mat-khau-can-bo-2026"
TOKEN = "staff-test-rasa-token"
CENTRE_A, CENTRE_B = "Phường Kinh Bắc", "Xã Tiên Du"
ID_NUMBER = "001203004567"  # a 12-digit ID number a staff member types
PHONE = "0912345678"
POSTS = [
    "/staff/api/logout",
    "/staff/api/presence",
    "/staff/api/chats/{chat}/claim",
    "/staff/api/chats/{chat}/messages",
    "/staff/api/chats/{chat}/transfer",
    "/staff/api/chats/{chat}/end",
    "/staff/api/callbacks/{callback}",
]


@dataclass
class Desk:
    web: WebApp
    store: HandoffStore
    phones: PhoneBox
    workdir: Path
    centres: Centres

    def queued(self, centre: str = CENTRE_A, question: str = "Tôi muốn hỏi về khai sinh", sender: str = "") -> Chat:
        """A chat in `centre`'s queue, as the channels leave it after the citizen said yes."""
        where = self.centres.get(centre)
        assert where is not None
        chat = self.store.offer(sender or uuid.uuid4().hex, "socketio", "vi", where.key, where.name, question)
        self.store.note(chat.id, "consented", "citizen")
        return self.store.queue(chat.id, where.key, where.name)


class Console:
    """One browser-less staff session: its cookie jar and CSRF token."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=15)
        page = self.http.get("/staff")
        assert page.status_code == 200
        self.csrf = csrf_of(page.text)

    def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        response = self.post("/staff/api/login", {"name": name, "password": password})
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None, csrf: str | None = None) -> httpx.Response:
        token = self.csrf if csrf is None else csrf
        return self.http.post(path, json=body or {}, headers={"X-CSRF-Token": token} if token else {})


def csrf_of(html: str) -> str:
    match = re.search(r'data-csrf="([^"]+)"', html)
    assert match, "no CSRF token in the console page"
    return match.group(1)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, fake_rasa: FakeRasa) -> Iterator[Desk]:
    workdir = Path(tmp_path_factory.mktemp("staff"))
    handoff_url = f"sqlite:///{workdir / 'handoff.sqlite'}"
    key = Fernet.generate_key().decode()
    web = start_web(
        workdir,
        fake_rasa.url,
        DATABASE_URL=f"sqlite:///{workdir / 'dossiers.sqlite'}",
        HANDOFF_DATABASE_URL=handoff_url,
        HANDOFF_KEY=key,
        RASA_TOKEN=TOKEN,
        STAFF_HOURS="always",
        KNOWLEDGE_INDEX=str(workdir / "no-index"),
    )
    try:
        for args in (
            ("cb.kinhbac", "--role", "staff", "--centre", CENTRE_A),
            ("cb.kinhbac2", "--role", "staff", "--centre", CENTRE_A),
            ("cb.tiendu", "--role", "staff", "--centre", CENTRE_B),
            ("qt.tinh", "--role", "admin"),
            ("tnv.thuong", "--ward", CENTRE_A),
        ):
            done = web.accounts("create", *args, "--password-stdin", password=PASSWORD + "\n")
            assert done.returncode == 0, done.stderr
        yield Desk(web, HandoffStore.from_url(handoff_url), PhoneBox(key), workdir, Centres(Localities.load()))
    finally:
        stop_process_group(web.process)


@pytest.fixture(scope="module")
def staff_a(desk: Desk) -> Console:
    console = Console(desk.web.url)
    assert console.login("cb.kinhbac").status_code == 200
    return console


@pytest.fixture(scope="module")
def staff_b(desk: Desk) -> Console:
    console = Console(desk.web.url)
    assert console.login("cb.tiendu").status_code == 200
    return console


@pytest.fixture(scope="module")
def admin(desk: Desk) -> Console:
    console = Console(desk.web.url)
    assert console.login("qt.tinh").status_code == 200
    return console


def deliveries(fake: FakeRasa, sender: str) -> list[dict[str, Any]]:
    return [r for r in fake.received() if r["event"] == "tracker_events" and r["sender"] == sender]


def delivered_events(fake: FakeRasa, sender: str) -> list[dict[str, Any]]:
    return [event for r in deliveries(fake, sender) for event in r["body"]]


def database_bytes(desk: Desk) -> bytes:
    return b"".join(p.read_bytes() for p in desk.workdir.glob("handoff.sqlite*"))


# --------------------------------------------------------------------------- accounts


def test_old_account_tables_get_the_new_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_engine(url)
    with old.begin() as db:  # web_volunteer as the first release made it
        db.execute(
            text(
                "CREATE TABLE web_volunteer (id INTEGER PRIMARY KEY, name VARCHAR(64) UNIQUE, password_hash VARCHAR(255),"
                " ward VARCHAR(120), active BOOLEAN, failed_logins INTEGER, locked_until DATETIME,"
                " session_epoch INTEGER, created_at DATETIME)"
            )
        )
        db.execute(text("INSERT INTO web_volunteer (name, password_hash, ward, active) VALUES ('tnv.cu', 'x', '', 1)"))
    old.dispose()
    engine = make_engine(url)
    assert {"role", "centre"} <= {c["name"] for c in inspect(engine).get_columns("web_volunteer")}
    with engine.connect() as db:
        assert db.execute(text("SELECT role, centre FROM web_volunteer")).one() == ("volunteer", "")
    make_engine(url)  # a second start finds the columns there


def test_accounts_cli_roles_and_centres(desk: Desk) -> None:
    def create(*args: str) -> Any:
        return desk.web.accounts("create", *args, "--password-stdin", password=PASSWORD + "\n")

    no_centre = create("cb.khongco", "--role", "staff")
    assert no_centre.returncode == 1 and CENTRE_A in no_centre.stderr and "Tỉnh Bắc Ninh" in no_centre.stderr
    wrong = create("cb.sai", "--role", "staff", "--centre", "Phường Không Có")
    assert wrong.returncode == 1 and "valid centres" in wrong.stderr and CENTRE_B in wrong.stderr
    assert create("qt.sai", "--role", "admin", "--centre", CENTRE_A).returncode == 1
    loose = create("cb.kinhbac3", "--role", "staff", "--centre", "phuong kinh bac")  # spelt as the handoff spells it
    assert loose.returncode == 0, loose.stderr
    listed = desk.web.accounts("list").stdout
    assert f"cb.kinhbac3\t-\tactive\tstaff\t{CENTRE_A}" in listed
    assert "qt.tinh\t-\tactive\tadmin\t-" in listed
    assert f"tnv.thuong\t{CENTRE_A}\tactive\tvolunteer\t-" in listed


# --------------------------------------------------------------------------- sign-in, CSRF, roles


def test_login(desk: Desk) -> None:
    console = Console(desk.web.url)
    assert console.get("/staff/api/queue").status_code == 401
    assert console.get("/staff/api/queue").json() == {"error": "Vui lòng đăng nhập."}
    wrong = console.login("cb.kinhbac", "sai-mat-khau-roi")
    assert wrong.status_code == 401 and "không đúng" in wrong.json()["error"]
    volunteer = console.login("tnv.thuong")
    assert volunteer.status_code == 403 and "error" in volunteer.json()
    assert console.get("/staff/api/queue").status_code == 401  # refused: no session was opened
    good = console.login("cb.kinhbac")
    assert good.status_code == 200
    answer = good.json()
    assert answer["role"] == "staff" and answer["centre"] == CENTRE_A and answer["display_name"] == "cb.kinhbac"
    assert answer["csrf_token"] and answer["csrf_token"] == csrf_of(console.http.get("/staff").text)
    assert console.get("/staff/api/queue").status_code == 200
    assert console.post("/staff/api/logout").status_code == 200
    assert console.get("/staff/api/queue").status_code == 401


def test_volunteer_session_is_refused_by_the_staff_api(desk: Desk) -> None:
    http = httpx.Client(base_url=desk.web.url, timeout=15)
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/volunteer").text).group(1)
    signed = http.post("/volunteer/login", data={"csrf_token": token, "name": "tnv.thuong", "password": PASSWORD})
    assert signed.status_code in (200, 303)
    refused = http.get("/staff/api/queue")
    assert refused.status_code == 403 and refused.json()["error"]


def test_every_post_needs_the_csrf_token(desk: Desk, staff_a: Console) -> None:
    chat = desk.queued()
    callback = desk.store.add_callback(CENTRE_A, "TT", "vi", "Câu hỏi", None, None, None, 30)
    fresh = Console(desk.web.url)
    assert fresh.post("/staff/api/login", {"name": "cb.kinhbac", "password": PASSWORD}, csrf="").status_code == 403
    assert (
        fresh.post("/staff/api/login", {"name": "cb.kinhbac", "password": PASSWORD}, csrf="forged").status_code == 403
    )
    for path in POSTS:
        path = path.format(chat=chat.id, callback=callback)
        for token in ("", "forged"):
            refused = staff_a.post(path, {"status": "online"}, csrf=token)
            assert refused.status_code == 403, path
            assert set(refused.json()) == {"error"}, path
    assert desk.store.chat(chat.id).status == "queued"  # nothing was done
    assert staff_a.get("/staff/api/queue").status_code == 200  # and the session still works


def test_errors_are_json_without_a_trace(staff_a: Console) -> None:
    for response in (
        staff_a.get("/staff/api/chats/nope/messages"),
        staff_a.post("/staff/api/chats/nope/claim"),
        staff_a.post("/staff/api/presence", {"status": "busy"}),
        staff_a.http.post(
            "/staff/api/presence",
            content=b"{not json",
            headers={"X-CSRF-Token": staff_a.csrf, "Content-Type": "application/json"},
        ),
        staff_a.get("/staff/api/nothing-here"),
        staff_a.post("/staff/api/presence", {"status": "x" * 20_000}),
    ):
        assert response.status_code in (400, 404, 413), response.text
        assert set(response.json()) == {"error"} and "Traceback" not in response.text


# --------------------------------------------------------------------------- centres kept apart


def test_staff_see_and_act_on_their_own_centre_only(
    desk: Desk, staff_a: Console, staff_b: Console, admin: Console
) -> None:
    in_a, in_b = desk.queued(CENTRE_A), desk.queued(CENTRE_B)
    ids_a = {row["id"] for row in staff_a.get("/staff/api/queue").json()}
    ids_b = {row["id"] for row in staff_b.get("/staff/api/queue").json()}
    assert in_a.id in ids_a and in_b.id not in ids_a
    assert in_b.id in ids_b and in_a.id not in ids_b
    assert {in_a.id, in_b.id} <= {row["id"] for row in admin.get("/staff/api/queue").json()}
    assert staff_b.get(f"/staff/api/chats/{in_a.id}/messages").status_code == 403
    assert staff_b.post(f"/staff/api/chats/{in_a.id}/claim").status_code == 403
    assert staff_b.post(f"/staff/api/chats/{in_a.id}/end", {"code": "other"}).status_code == 403
    assert desk.store.chat(in_a.id).status == "queued"


def test_queue_rows(desk: Desk, staff_a: Console) -> None:
    chat = desk.queued(question="x" * 400, sender="conversation-" + uuid.uuid4().hex)
    row = next(r for r in staff_a.get("/staff/api/queue").json() if r["id"] == chat.id)
    assert {"id", "sender", "centre", "centre_name", "status", "staff", "waiting_since", "preview"} <= set(row)
    assert row["centre"] == CENTRE_A and row["centre_name"] == "Trung tâm Phục vụ hành chính công phường Kinh Bắc"
    assert row["status"] == "queued" and row["staff"] is None and len(row["preview"]) == 160
    assert row["sender"] != chat.sender and chat.sender.startswith(row["sender"].rstrip("…"))


def test_claim_twice_is_a_conflict(desk: Desk, staff_a: Console, admin: Console, fake_rasa: FakeRasa) -> None:
    chat = desk.queued()
    first = staff_a.post(f"/staff/api/chats/{chat.id}/claim", {"display_name": "Chị Lan"})
    assert first.status_code == 200 and first.json()["status"] == "assigned" and first.json()["mine"]
    second = admin.post(f"/staff/api/chats/{chat.id}/claim")
    assert second.status_code == 409 and set(second.json()) == {"error"}
    assert desk.store.chat(chat.id).staff_display == "Chị Lan"
    joined = wait_for(lambda: delivered_events(fake_rasa, chat.sender))
    assert joined[0]["data"]["custom"]["type"] == "agent_joined" and joined[0]["data"]["custom"]["name"] == "Chị Lan"


# --------------------------------------------------------------------------- messages, cards, transcript


def test_message_is_stored_masked_and_delivered_as_typed(desk: Desk, staff_a: Console, fake_rasa: FakeRasa) -> None:
    chat = desk.queued()
    assert staff_a.post(f"/staff/api/chats/{chat.id}/messages", {"text": "chưa nhận"}).status_code == 409
    assert staff_a.post(f"/staff/api/chats/{chat.id}/claim").status_code == 200
    for bad in ({"text": ""}, {"text": "   "}, {"text": "x" * 2001}, {"text": 5}, {}):
        assert staff_a.post(f"/staff/api/chats/{chat.id}/messages", bad).status_code == 400, bad
    typed = f"Chị kiểm tra giúp số căn cước {ID_NUMBER} đã đúng chưa nhé."
    sent = staff_a.post(f"/staff/api/chats/{chat.id}/messages", {"text": typed})
    assert sent.status_code == 200 and sent.json()["delivered"] is True
    assert ID_NUMBER not in sent.text  # the console shows what is stored: masked

    got = wait_for(lambda: [e for e in delivered_events(fake_rasa, chat.sender) if e.get("text") == typed])
    assert got and got[0]["event"] == "bot" and got[0]["data"]["custom"]["type"] == "agent_message"
    call = next(r for r in deliveries(fake_rasa, chat.sender) if got[0] in r["body"])
    assert call["params"] == {"output_channel": "socketio", "execute_side_effects": "true", "token": TOKEN}

    assert ID_NUMBER.encode() not in database_bytes(desk)
    stored = [e.text for e in desk.store.transcript(chat.id) if e.kind == "message"]
    assert len(stored) == 1 and ID_NUMBER not in stored[0] and "kiểm tra giúp" in stored[0]


def test_procedure_card(desk: Desk, staff_a: Console, fake_rasa: FakeRasa) -> None:
    picks = staff_a.get("/staff/api/procedures", q="khai sinh").json()
    assert 0 < len(picks) <= 8 and "1.001193" in [p["code"] for p in picks] and set(picks[0]) == {"code", "title"}
    assert staff_a.get("/staff/api/procedures", q="").json() == []
    chat = desk.queued()
    assert staff_a.post(f"/staff/api/chats/{chat.id}/claim").status_code == 200
    assert staff_a.post(f"/staff/api/chats/{chat.id}/messages", {"procedure_code": "9.999999"}).status_code == 404
    assert staff_a.post(f"/staff/api/chats/{chat.id}/messages", {"procedure_code": "<b>"}).status_code == 404
    sent = staff_a.post(f"/staff/api/chats/{chat.id}/messages", {"procedure_code": "1.001193"})
    assert sent.status_code == 200 and sent.json()["message"]["card"]["code"] == "1.001193"
    cards = wait_for(
        lambda: [e for e in delivered_events(fake_rasa, chat.sender) if e["data"]["custom"].get("type") == "procedure"]
    )
    custom = cards[0]["data"]["custom"]
    assert custom["code"] == "1.001193" and custom["from_agent"]["centre"] == chat.centre_name
    assert cards[0]["text"].startswith("Thủ tục đăng ký khai sinh (mã 1.001193)")  # the bot's own overview


def test_transcript_has_the_bot_part_first(desk: Desk, staff_a: Console, fake_rasa: FakeRasa) -> None:
    chat = desk.queued(question="cần gặp cán bộ")
    desk.store.citizen_message(chat.id, "Cho tôi hỏi thêm")
    read = staff_a.get(f"/staff/api/chats/{chat.id}/messages", after=0).json()
    assert read["bot_transcript"] == "included" and read["chat"]["id"] == chat.id
    first, second = read["messages"][:2]
    assert (first["from"], first["kind"], first["text"]) == ("citizen", "transcript", "làm giấy khai sinh cần gì")
    assert second["from"] == "bot" and second["card"] == {"code": "1.001193", "title": "Thủ tục đăng ký khai sinh"}
    live = read["messages"][2:]
    assert [m["kind"] for m in live][:3] == ["offered", "consented", "queued"]
    assert live[-1] == {**live[-1], "from": "citizen", "text": "Cho tôi hỏi thêm", "kind": "message"}
    asked = [r for r in fake_rasa.received() if r["event"] == "tracker" and r["sender"] == chat.sender]
    assert asked and asked[0]["params"] == {"token": TOKEN}

    later = staff_a.get(f"/staff/api/chats/{chat.id}/messages", after=read["last_id"]).json()
    assert later["messages"] == [] and "bot_transcript" not in later  # polls do not ask Rasa again
    desk.store.citizen_message(chat.id, "Alo?")
    newer = staff_a.get(f"/staff/api/chats/{chat.id}/messages", after=read["last_id"]).json()
    assert [m["text"] for m in newer["messages"]] == ["Alo?"]

    down = desk.queued(sender="unreachable-" + uuid.uuid4().hex)
    unavailable = staff_a.get(f"/staff/api/chats/{down.id}/messages").json()
    assert unavailable["bot_transcript"] == "unavailable"
    assert [m["kind"] for m in unavailable["messages"]] == ["offered", "consented", "queued"]


def test_console_page_has_no_inline_script_or_style(desk: Desk) -> None:
    page = httpx.get(desk.web.url + "/staff", timeout=15)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page.text, re.S)
    assert scripts and all(body.strip() == "" for body in scripts)  # src only
    assert " style=" not in page.text and "<style" not in page.text and not re.search(r"\son[a-z]+=", page.text)
    assert re.search(r'src="/static/staff/console\.js\?v=\w{10}"', page.text)  # versioned like the other assets
    assert "widget.js" not in page.text  # no floating citizen chat in the console


def test_rasa_token_stays_on_the_server(desk: Desk, staff_a: Console) -> None:
    chat = desk.queued()
    for response in (
        staff_a.http.get("/staff"),
        staff_a.get("/staff/api/queue"),
        staff_a.get(f"/staff/api/chats/{chat.id}/messages"),
        staff_a.http.get("/static/staff/console.js"),
    ):
        assert response.status_code == 200 and TOKEN not in response.text


# --------------------------------------------------------------------------- transfer and end


def test_transfer_moves_the_chat_to_the_other_centre(
    desk: Desk, staff_a: Console, staff_b: Console, fake_rasa: FakeRasa
) -> None:
    chat = desk.queued()
    assert staff_a.post(f"/staff/api/chats/{chat.id}/claim").status_code == 200
    assert staff_a.post(f"/staff/api/chats/{chat.id}/transfer", {"centre": "Phường Không Có"}).status_code == 400
    assert staff_a.post(f"/staff/api/chats/{chat.id}/transfer", {"centre": CENTRE_A}).status_code == 400
    moved = staff_a.post(f"/staff/api/chats/{chat.id}/transfer", {"centre": CENTRE_B})
    assert moved.status_code == 200 and moved.json()["centre"] == CENTRE_B and moved.json()["status"] == "queued"
    assert chat.id not in {r["id"] for r in staff_a.get("/staff/api/queue").json()}
    assert chat.id in {r["id"] for r in staff_b.get("/staff/api/queue").json()}
    told = wait_for(
        lambda: [
            e for e in delivered_events(fake_rasa, chat.sender) if e["data"]["custom"]["type"] == "handoff_transferred"
        ]
    )
    assert told[0]["data"]["custom"]["centre"] == "Trung tâm Phục vụ hành chính công xã Tiên Du"
    centres = staff_a.get("/staff/api/centres").json()
    assert {"key": CENTRE_B, "name": "Trung tâm Phục vụ hành chính công xã Tiên Du"} in centres
    assert centres[0]["key"] == "Tỉnh Bắc Ninh" and len(centres) == len(desk.centres.keys())


def test_end_resumes_the_bot_and_asks_for_a_rating(desk: Desk, staff_a: Console, fake_rasa: FakeRasa) -> None:
    chat = desk.queued()
    other = Console(desk.web.url)
    assert other.login("cb.kinhbac2").status_code == 200
    assert staff_a.post(f"/staff/api/chats/{chat.id}/claim").status_code == 200
    assert other.post(f"/staff/api/chats/{chat.id}/end", {"code": "answered"}).status_code == 403  # not theirs
    assert staff_a.post(f"/staff/api/chats/{chat.id}/end", {"code": "solved"}).status_code == 400
    ended = staff_a.post(f"/staff/api/chats/{chat.id}/end", {"code": "answered"})
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert desk.store.chat(chat.id).closing_code == "answered"
    events = wait_for(lambda: [e for e in delivered_events(fake_rasa, chat.sender) if e["event"] == "resume"])
    assert events == [{"event": "resume"}]
    last = deliveries(fake_rasa, chat.sender)[-1]["body"]
    assert [e.get("event") for e in last] == ["resume", "bot", "bot"]
    assert last[-1]["data"]["custom"]["type"] == "rating_request" and last[-1]["data"]["buttons"]
    assert staff_a.post(f"/staff/api/chats/{chat.id}/end", {"code": "answered"}).status_code == 409


# --------------------------------------------------------------------------- presence, callbacks, audit


def test_presence(desk: Desk, staff_b: Console, admin: Console) -> None:
    assert staff_b.post("/staff/api/presence", {"status": "online"}).json() == {"status": "online"}
    assert "cb.tiendu" in desk.store.online_staff(CENTRE_B)
    assert staff_b.post("/staff/api/presence", {"status": "away"}).status_code == 200
    assert "cb.tiendu" not in desk.store.online_staff(CENTRE_B)
    assert admin.post("/staff/api/presence", {"status": "online"}).status_code == 200
    assert "qt.tinh" in desk.store.online_staff("Tỉnh Bắc Ninh")
    assert staff_b.post("/staff/api/presence", {"status": "busy"}).status_code == 400


def test_callbacks_show_the_phone_to_that_centres_staff_only(
    desk: Desk, staff_a: Console, staff_b: Console, admin: Console
) -> None:
    name = desk.centres.get(CENTRE_A).name
    callback = desk.store.add_callback(
        CENTRE_A, name, "vi", "Gọi lại giúp tôi về sổ đỏ", desk.phones.seal(PHONE), PhoneBox.hint(PHONE), "s1", 30
    )
    mine = next(c for c in staff_a.get("/staff/api/callbacks").json() if c["id"] == callback)
    assert mine["phone"] == PHONE and mine["phone_hint"] == "…78" and mine["status"] == "open"
    assert {"id", "centre_name", "created_at", "question", "phone", "phone_hint", "status", "lang"} <= set(mine)
    assert callback not in [c["id"] for c in staff_b.get("/staff/api/callbacks").json()]
    assert PHONE not in staff_b.get("/staff/api/callbacks").text
    assert next(c for c in admin.get("/staff/api/callbacks").json() if c["id"] == callback)["phone"] == PHONE
    assert staff_b.post(f"/staff/api/callbacks/{callback}", {"status": "reached"}).status_code == 403
    assert staff_a.post(f"/staff/api/callbacks/{callback}", {"status": "maybe"}).status_code == 400
    assert staff_a.post("/staff/api/callbacks/999999", {"status": "reached"}).status_code == 404
    assert staff_a.post(f"/staff/api/callbacks/{callback}", {"status": "reached"}).status_code == 200
    marked = next(c for c in desk.store.callbacks(CENTRE_A) if c.id == callback)
    assert marked.status == "reached" and marked.handled_by == "cb.kinhbac"
    reads = [r for r in desk.store.audit_log(1000) if r["callback_id"] == callback]
    assert {(r["staff"], r["action"]) for r in reads} == {
        ("cb.kinhbac", "callback_read"),
        ("qt.tinh", "callback_read"),
        ("cb.kinhbac", "callback_mark"),
    }


def test_reads_and_actions_are_audited(desk: Desk, fake_rasa: FakeRasa) -> None:
    console = Console(desk.web.url)
    assert console.login("cb.kinhbac2").status_code == 200
    chat = desk.queued()
    console.post("/staff/api/presence", {"status": "online"})
    console.post("/staff/api/presence", {"status": "online"})  # a heartbeat: no change, no row
    console.post(f"/staff/api/chats/{chat.id}/claim")
    read = console.get(f"/staff/api/chats/{chat.id}/messages").json()
    console.get(f"/staff/api/chats/{chat.id}/messages", after=read["last_id"])  # nothing new: nothing read
    console.post(f"/staff/api/chats/{chat.id}/messages", {"text": "Chào anh"})
    console.post(f"/staff/api/chats/{chat.id}/messages", {"procedure_code": "1.001193"})
    console.post(f"/staff/api/chats/{chat.id}/transfer", {"centre": CENTRE_B})
    console.post("/staff/api/logout")
    rows = [r for r in desk.store.audit_log(1000) if r["staff"] == "cb.kinhbac2"]
    actions = [(r["action"], r["chat_id"]) for r in reversed(rows)]
    assert actions[-8:] == [
        ("login", None),
        ("presence", None),
        ("claim", chat.id),
        ("read", chat.id),
        ("message", chat.id),
        ("card", chat.id),
        ("transfer", chat.id),
        ("logout", None),
    ]


# --------------------------------------------------------------------------- the page in a browser


def sign_in(page: Page, desk: Desk, name: str = "cb.kinhbac") -> None:
    sign_in_staff(page, desk.web.url, name, PASSWORD)


def press_until_focused(page: Page, selector: str, tries: int = 40) -> None:
    for _ in range(tries):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with the Tab key")


def test_console_shows_a_new_chat_within_two_seconds(desk: Desk, browser: Any) -> None:
    probe = new_page(browser)
    page = probe.page
    try:
        sign_in(page, desk, "cb.kinhbac2")
        expect(page.get_by_label("Trực tuyến")).to_be_checked()
        # letters only: four digits in a row would be masked as personal data
        question = f"Hỏi về đất đai {''.join(random.choices(string.ascii_lowercase, k=6))}"
        chat = desk.queued(question=question)
        row = page.locator(f"#q-{chat.id}")
        expect(row).to_contain_text(question, timeout=2000)
        expect(row).to_contain_text(CENTRE_A)
        expect(row.get_by_role("button", name="Nhận")).to_be_visible()
        assert page.locator("#queue").get_attribute("aria-live") == "polite"
        assert probe.errors == [] and probe.csp_violations == []
    finally:
        page.context.close()


def test_keyboard_only_sign_in_claim_and_reply(desk: Desk, browser: Any, fake_rasa: FakeRasa) -> None:
    probe = new_page(browser)
    page = probe.page
    try:
        page.goto(desk.web.url + "/staff")
        press_until_focused(page, "#login-name")
        page.keyboard.type("cb.kinhbac")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Bàn trực trò chuyện")).to_be_focused()
        chat = desk.queued(question="Bàn phím thôi")
        expect(page.locator(f"#q-{chat.id}")).to_be_visible(timeout=2000)
        press_until_focused(page, f"#q-{chat.id} button")
        page.keyboard.press("Enter")
        expect(page.locator("#reply")).to_be_focused()
        expect(page.locator("#bot-messages")).to_contain_text("làm giấy khai sinh cần gì")
        page.keyboard.type("Dạ, em chào anh.")
        page.keyboard.press("Shift+Enter")
        page.keyboard.type("Anh cần hỏi gì ạ?")
        page.keyboard.press("Enter")
        typed = "Dạ, em chào anh.\nAnh cần hỏi gì ạ?"
        assert wait_for(lambda: [e for e in delivered_events(fake_rasa, chat.sender) if e.get("text") == typed])
        expect(page.locator("#live-messages .from-staff")).to_contain_text("Anh cần hỏi gì ạ?")
        expect(page.locator("#reply")).to_have_value("")
        assert desk.store.chat(chat.id).staff == "cb.kinhbac"
        focus = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert focus != "none"  # the focused reply box shows it
        assert probe.errors == [] and probe.csp_violations == []
    finally:
        page.context.close()


def test_no_serious_accessibility_violations(desk: Desk, browser: Any, axe_source: str) -> None:
    probe = new_page(browser, bypass_csp=True)  # only to inject axe-core
    page = probe.page
    try:
        page.goto(desk.web.url + "/staff")
        assert axe_violations(page, axe_source) == []
        sign_in(page, desk, "qt.tinh")
        chat = desk.queued(question="Kiểm tra trợ năng")
        desk.store.add_callback(CENTRE_A, "TT", "vi", "Gọi lại", desk.phones.seal(PHONE), "…78", None, 30)
        page.locator(f"#q-{chat.id}").get_by_role("button", name="Nhận").click()
        expect(page.locator("#bot-messages li")).to_have_count(2)
        page.fill("#card-query", "khai sinh")
        expect(page.locator("#card-results button").first).to_be_visible()
        assert axe_violations(page, axe_source) == []
        page.get_by_role("tab", name=re.compile("Yêu cầu gọi lại")).click()
        expect(page.locator("#callbacks li").first).to_be_visible()
        assert axe_violations(page, axe_source) == []
    finally:
        page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (360, 740)])
def test_screenshots_and_no_sideways_scrolling(
    desk: Desk, browser: Any, artifacts: Path, width: int, height: int
) -> None:
    probe = new_page(browser, width, height)
    page = probe.page
    try:
        page.goto(desk.web.url + "/staff")
        page.screenshot(path=artifacts / f"staff-login-{width}x{height}.png", full_page=True)
        sign_in(page, desk, "cb.kinhbac2")
        chat = desk.queued(question="Tôi cần hỏi về thủ tục đăng ký kết hôn với người nước ngoài")
        desk.queued(question="Một người khác đang chờ")
        page.locator(f"#q-{chat.id}").get_by_role("button", name="Nhận").click()
        expect(page.locator("#bot-messages li")).to_have_count(2)
        page.fill("#reply", "Dạ, chị chào anh, anh cần hỏi gì thêm không ạ?")
        page.press("#reply", "Enter")
        expect(page.locator("#live-messages .from-staff")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=artifacts / f"staff-{width}x{height}.png", full_page=True)
        assert probe.errors == [] and probe.csp_violations == []
    finally:
        page.context.close()
