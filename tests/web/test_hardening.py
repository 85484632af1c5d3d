"""Findings of the security audit, each pinned by a test: forged client addresses, the Host header
in absolute URLs and QR codes, `Origin: null`, and unthrottled or locking-out sign-ins."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image, ImageDraw
from starlette.testclient import TestClient

from tests.integration.stack import stop_process_group
from tests.web.conftest import WebApp, start_web
from web import accounts
from web.api import VOTES_PER_CLIENT
from web.app import create_app
from web.catalog import Catalog
from web.ratelimit import FailureLimit
from web.settings import Settings, origin_of
from web.volunteer import SIGN_IN_FAILURES

PASSWORD = "mot-mat-khau-du-dai"
PUBLIC = "https://tro-ly.bacninh.example"
PAGE = f"{PUBLIC}/thu-tuc/1.001193"


def make_client(tmp_path: Path, client: tuple[str, int] = ("203.0.113.7", 50000), **settings: object) -> TestClient:
    config = Settings(
        rasa_public_url="http://127.0.0.1:5005",
        knowledge_index=tmp_path / "no-index",
        database_url=f"sqlite:///{tmp_path / 'web.sqlite'}",
        secret_key="k" * 32,
        **settings,
    )
    return TestClient(create_app(config, Catalog(config.knowledge_index)), base_url="http://testserver", client=client)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, public_url=PUBLIC) as test_client:
        with test_client.app.state.db() as db:
            accounts.create(db, "tnv.test", PASSWORD)
        yield test_client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def sign_in(client: TestClient, name: str = "tnv.test", password: str = PASSWORD, **headers: str) -> httpx.Response:
    token = csrf_of(client.get("/volunteer").text)
    return client.post(
        "/volunteer/login",
        data={"csrf_token": token, "name": name, "password": password},
        headers=headers,
        follow_redirects=False,
    )


def qr_text(svg: bytes) -> list[str]:
    """Decode the QR code of our SVG (one path of unit squares) by drawing it."""
    text = svg.decode()
    size, scale = int(re.search(r'viewBox="0 0 (\d+) \d+"', text).group(1)), 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H", text):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + scale - 1, top + scale - 1], fill=0)
    return [found.text for found in zxingcpp.read_barcodes(image)]


# --------------------------------------------------------------------------- settings


def env(**values: str) -> dict[str, str]:
    return {"WEB_SECRET_KEY": "s" * 32, **values}


def test_settings_defaults() -> None:
    settings = Settings.from_env(env())
    assert settings.public_url == "http://127.0.0.1:8000" and settings.public_origin == "http://127.0.0.1:8000"
    assert settings.trusted_proxies == () and settings.secure_cookies is False
    assert Settings.from_env(env(WEB_PORT="8123")).public_url == "http://127.0.0.1:8123"
    public = Settings.from_env(env(WEB_PUBLIC_URL="https://Tro-Ly.example:443/bac-ninh/", WEB_PORT="8123"))
    assert public.public_url == "https://Tro-Ly.example:443/bac-ninh"
    assert public.public_origin == "https://tro-ly.example"  # as a browser writes it


@pytest.mark.parametrize("bad", ["tro-ly.example", "ftp://tro-ly.example", "https://", "http://host:99999"])
def test_settings_refuse_a_public_url_without_origin(bad: str) -> None:
    with pytest.raises(ValueError, match="WEB_PUBLIC_URL"):
        Settings.from_env(env(WEB_PUBLIC_URL=bad))


FLAGS = [
    ("1", True),
    ("True", True),
    ("YES", True),
    (" on ", True),
    ("", False),
    ("0", False),
    ("False", False),
    ("off", False),
]


@pytest.mark.parametrize(("value", "expected"), FLAGS)
def test_secure_cookies_flag(value: str, expected: bool) -> None:
    assert Settings.from_env(env(WEB_SECURE_COOKIES=value)).secure_cookies is expected


@pytest.mark.parametrize("bad", ["ja", "2", "enabled"])
def test_secure_cookies_refuses_other_values(bad: str) -> None:
    with pytest.raises(ValueError, match="WEB_SECURE_COOKIES"):
        Settings.from_env(env(WEB_SECURE_COOKIES=bad))


def test_trusted_proxies_setting() -> None:
    proxies = Settings.from_env(env(WEB_TRUSTED_PROXIES=" 10.0.0.1, 192.168.0.0/16,,::1 ")).trusted_proxies
    assert proxies == ("10.0.0.1", "192.168.0.0/16", "::1")
    for bad in ("*", "proxy.local", "10.0.0.1;10.0.0.2"):
        with pytest.raises(ValueError, match="WEB_TRUSTED_PROXIES"):
            Settings.from_env(env(WEB_TRUSTED_PROXIES=bad))


def test_origin_normalisation() -> None:
    assert origin_of("HTTP://Example.VN:80/x?y") == "http://example.vn"
    assert origin_of("http://[::1]:8000") == "http://[::1]:8000"
    assert origin_of("null") == origin_of("") == origin_of("file:///etc") == ""


# --------------------------------------------------------------------------- forged client addresses


@pytest.fixture(params=["", "127.0.0.1"], ids=["no-proxy", "behind-proxy"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WebApp]:
    """The real app under uvicorn, started by scripts/run-web, trusting `param` as its proxy. A stray
    FORWARDED_ALLOW_IPS in the environment must not widen that trust."""
    app = start_web(
        tmp_path,
        "http://127.0.0.1:9",
        WEB_TRUSTED_PROXIES=request.param,
        FORWARDED_ALLOW_IPS="*",
        KNOWLEDGE_INDEX=str(tmp_path / "no-index"),
    )
    app.extra["proxies"] = request.param
    try:
        yield app
    finally:
        stop_process_group(app.process)


def test_forwarded_for_is_believed_only_from_trusted_proxies(served: WebApp) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        codes = [
            http.post(
                "/api/feedback",
                json={"session_id": f"s{n}", "message_id": "m1", "rating": "up"},
                headers={"X-Forwarded-For": f"10.{n // 250}.{n % 250}.1"},
            ).status_code
            for n in range(VOTES_PER_CLIENT + 1)
        ]
    if served.extra["proxies"]:  # each vote names another client: none is over its limit
        assert set(codes) == {201}
    else:  # the header is ignored: every vote comes from 127.0.0.1, and the last is one too many
        assert codes[:VOTES_PER_CLIENT] == [201] * VOTES_PER_CLIENT and codes[-1] == 429


# --------------------------------------------------------------------------- Host header


def test_page_and_qr_use_the_configured_address_not_the_host_header(client: TestClient) -> None:
    page = client.get("/thu-tuc/1.001193", headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert f'data-url="{PAGE}"' in page.text and f"Trang này: {PAGE}" in page.text
    assert "evil.example" not in page.text  # asset links are paths, not URLs built from Host
    qr = client.get("/thu-tuc/1.001193/qr.svg", headers={"Host": "evil.example"})
    assert qr.headers["cache-control"] == "public, max-age=86400" and qr_text(qr.content) == [PAGE]
    home = client.get("/", headers={"Host": "evil.example"}).text
    assert f"{PUBLIC}/static/widget/widget.js" in home and "evil.example" not in home


def test_default_public_address_is_the_local_port(tmp_path: Path) -> None:
    with make_client(tmp_path) as test_client:
        qr = test_client.get("/thu-tuc/1.001193/qr.svg", headers={"Host": "evil.example"})
    assert qr_text(qr.content) == ["http://127.0.0.1:8000/thu-tuc/1.001193"]


# --------------------------------------------------------------------------- CSRF origin


# "null", empty, another site, the Host we were reached by, a look-alike, our host over the wrong scheme
FOREIGN = [
    "null",
    "",
    "https://evil.example",
    "http://testserver",
    f"{PUBLIC}.evil.example",
    "http://tro-ly.bacninh.example",
]


@pytest.mark.parametrize("origin", FOREIGN)
def test_sign_in_refuses_a_foreign_or_null_origin(client: TestClient, origin: str) -> None:
    response = sign_in(client, Origin=origin)
    assert response.status_code == 403 and "tltt_session" not in response.headers.get("set-cookie", "")


def test_origin_is_compared_with_the_configuration_not_the_host(client: TestClient) -> None:
    assert sign_in(client, Host="evil.example", Origin="http://evil.example").status_code == 403
    assert sign_in(client, Origin="https://TRO-LY.bacninh.example:443").status_code == 303
    assert sign_in(client).status_code == 303  # no Origin at all (older browsers): the token suffices


# --------------------------------------------------------------------------- sign-in throttling


def test_failed_sign_ins_are_limited_per_client_address(tmp_path: Path) -> None:
    with make_client(tmp_path / "a", public_url=PUBLIC) as first:
        with first.app.state.db() as db:
            accounts.create(db, "tnv.test", PASSWORD)
        for n in range(SIGN_IN_FAILURES):  # a different unknown name each time: no name's delay applies
            assert sign_in(first, name=f"guess{n}", password="sai-mat-khau").status_code == 401
        refused = sign_in(first)  # even the right password, from this address
        assert refused.status_code == 429 and 840 <= int(refused.headers["retry-after"]) <= 900
        assert "quá nhiều lần đăng nhập sai" in refused.text and "Too many failed sign-ins" in refused.text
        assert "15 phút" in refused.text and "15 minutes" in refused.text
        other = TestClient(first.app, base_url="http://testserver", client=("198.51.100.9", 40000))
        assert sign_in(other).status_code == 303  # another address still signs in


def test_successful_sign_ins_do_not_count(client: TestClient) -> None:
    for _ in range(SIGN_IN_FAILURES + 2):
        assert sign_in(client).status_code == 303


def test_repeated_wrong_passwords_slow_the_name_down_without_locking_it(client: TestClient) -> None:
    for _ in range(accounts.FREE_FAILURES):
        assert sign_in(client, password="sai-mat-khau").status_code == 401
    refused = sign_in(client)  # right password, but inside the delay: not even checked
    assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
    assert "thử lại sau 2 giây" in refused.text and "try again in 2 seconds" in refused.text
    delays: accounts.SignInDelays = client.app.state.sign_in_delays
    delays.tries["tnv.test"].last -= 2  # the two seconds have passed
    assert sign_in(client).status_code == 303


def test_parallel_tries_count_before_they_finish() -> None:
    limit = FailureLimit(3, 900)
    assert [limit.begin("a") for _ in range(3)] == [0, 0, 0]
    assert limit.begin("a") == 1.0  # three still running fill the window
    assert limit.begin("b") == 0  # other addresses are counted apart
    limit.end("a", failed=False)
    assert limit.begin("a") == 0
    limit.end("a", failed=True)
    assert limit.begin("a") == 1.0  # one failure and two running
    limit.end("a", failed=True)
    limit.end("a", failed=True)
    assert 899 <= limit.begin("a") <= 900  # three failures recorded: wait for the window to slide
    delays = accounts.SignInDelays()
    for _ in range(accounts.FREE_FAILURES):
        delays.begin("tnv.x")  # none of these has finished yet
    with pytest.raises(accounts.TooSoon):
        delays.begin("tnv.x")
