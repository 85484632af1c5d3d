"""Route and compose stages of the answer pipeline, on real Procedure records."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from answers import compose
from answers.route import Route, Turn, route_turn
from knowledge.aspects import detect_aspect, strip_aspect_words
from knowledge.guides import load_guides
from knowledge.model import Channel, Document, Overlay, Procedure

BIRTH = Procedure(
    code="1.001193",
    title="Thủ tục đăng ký khai sinh",
    levels=["commune"],
    channels=[
        Channel(kind="online", time_limit="Ngay trong ngày", time_days=0.5, fee="Miễn phí", fee_vnd=0),
        Channel(kind="in_person", time_limit="Ngay trong ngày", time_days=0.5, fee="Lệ phí 8.000 đồng", fee_vnd=8000),
    ],
    documents=[Document(name="Tờ khai đăng ký khai sinh", copies="1 bản chính"), Document(name="Giấy chứng sinh")],
    steps=["Nộp hồ sơ", "Nhận kết quả"],
    source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/birth",
    overlay=Overlay(title_en="Birth registration", summary_vi="Khai sinh cho trẻ.", summary_en="Registering a birth."),
)
PLACE = compose.Place(
    province_center="Trung tâm Phục vụ hành chính công tỉnh Bắc Ninh",
    ward_center="Trung tâm Phục vụ hành chính công xã An Lạc",
)


@dataclass
class FakeHit:
    code: str
    title: str
    score: float = 1.0


@dataclass
class FakeResult:
    decision: str
    hits: list[FakeHit] = field(default_factory=list)
    choice_count: int = 0


def decide(
    text, intent, context, picked, pending_aspect, search, offered=(), pending_question=None, guides=None
) -> Route:
    """route_turn with the turn's fields in order, as the tests read them."""
    return route_turn(Turn(text, intent, context, picked, pending_aspect, offered, pending_question), search, guides)


def search_returning(decision: str, *codes: str, choice_count: int = 0):
    def search(query: str) -> FakeResult:
        search.queries.append(query)
        return FakeResult(decision, [FakeHit(c, f"title {c}") for c in codes], choice_count)

    search.queries = []
    return search


@pytest.mark.parametrize(
    "text, aspect",
    [
        ("thế lệ phí bao nhiêu?", "fees"),
        ("the le phi bao nhieu", "fees"),
        ("nộp online được không?", "online"),
        ("mất bao lâu thì có", "processing_time"),
        ("nop o dau vay", "where"),
        ("làm giấy khai sinh cho con cần gì", "documents"),
        ("how much is the fee", "fees"),
        ("how long does it take", "processing_time"),
        ("điều kiện là gì", "conditions"),
        ("thủ tục đăng ký kết hôn", None),
        ("mẫu tờ khai ở đâu", "documents"),  # the longest phrase wins
        ("mẫu đơn nộp ở đâu", "where"),  # a tie: the order of aspects.yaml
        ("lệ phí nộp online bao nhiêu", "fees"),
    ],
)
def test_detect_aspect(text, aspect):
    assert detect_aspect(text) == aspect


def test_strip_aspect_words_keeps_diacritics_of_the_rest():
    assert strip_aspect_words("Lệ phí làm hộ chiếu bao nhiêu tiền?") == "làm hộ chiếu ?"


def test_first_question_answers_the_found_procedure_with_its_aspect():
    search = search_returning("answer", "1.001193", "2.000986")
    route = decide("làm giấy khai sinh cho con cần gì", "ask_procedure", None, None, None, search)
    assert (route.kind, route.code, route.aspect) == ("answer", "1.001193", "documents")
    assert route.options == [("2.000986", "title 2.000986")]
    assert search.queries == ["làm giấy khai sinh cho con cần gì"]  # the engine sets "cần gì" aside itself


def test_follow_up_aspect_stays_on_the_procedure_in_context_without_a_search():
    search = search_returning("answer", "2.000986")
    route = decide("thế lệ phí bao nhiêu?", "ask_aspect", "1.001193", None, None, search)
    assert (route.kind, route.code, route.aspect) == ("answer", "1.001193", "fees")
    assert search.queries == []  # the slow part of a turn (query embedding) is skipped


def test_aspect_words_with_another_intent_still_search_for_a_new_procedure():
    search = search_returning("answer", "2.000986")
    route = decide("lệ phí làm hộ chiếu bao nhiêu", "ask_procedure", "1.001193", None, None, search)
    assert (route.kind, route.code, route.aspect) == ("answer", "2.000986", "fees")
    assert search.queries == ["lệ phí làm hộ chiếu bao nhiêu"]


def test_a_new_procedure_question_replaces_the_context():
    route = decide(
        "còn đăng ký kết hôn thì sao", "ask_procedure", "1.001193", None, None, search_returning("answer", "1.000894")
    )
    assert (route.kind, route.code) == ("answer", "1.000894")


def test_unclear_question_offers_choices_and_a_pick_answers_the_pending_aspect():
    route = decide(
        "đăng ký xe", "ask_procedure", None, None, None, search_returning("clarify", "a", "b", "c", "d", "e", "f")
    )
    assert route.kind == "choices" and [c for c, _ in route.options] == ["a", "b", "c", "d", "e"]
    picked = decide(
        '/choose_procedure{"procedure_code": "b"}', "choose_procedure", None, "b", "fees", search_returning("no_answer")
    )
    assert (picked.kind, picked.code, picked.aspect) == ("answer", "b", "fees")


def test_only_aspect_words_without_context_search_nothing():
    search = search_returning("answer", "2.000986")
    route = decide("lệ phí?", "ask_aspect", None, None, None, search)
    assert route.kind == "no_answer" and search.queries == []


def test_choices_offer_only_the_candidates_the_engine_found_close():
    route = decide(
        "cấp lại giấy",
        "ask_procedure",
        None,
        None,
        None,
        search_returning("clarify", "a", "b", "c", "d", "e", choice_count=3),
    )
    assert [c for c, _ in route.options] == ["a", "b", "c"]


def test_an_unsure_search_that_includes_the_procedure_in_context_stays_on_it():
    route = decide(
        "hết hạn rồi",
        "ask_procedure",
        "3.000347",
        None,
        None,
        search_returning("clarify", "1.002755", "1.014063", "3.000347", choice_count=3),
    )
    assert (route.kind, route.code) == ("answer", "3.000347")
    other = decide(
        "hết hạn rồi",
        "ask_procedure",
        "1.001193",
        None,
        None,
        search_returning("clarify", "1.002755", "1.014063", "3.000347", choice_count=3),
    )
    assert other.kind == "choices"


def test_an_aspect_question_while_choices_are_open_offers_them_again():
    offered = [("1.013831", "Đăng ký biến động"), ("1.012783", "Cấp đổi Giấy chứng nhận")]
    route = decide("phí bao nhiêu", "ask_aspect", None, None, None, search_returning("no_answer"), offered)
    assert (route.kind, route.aspect, route.options) == ("choices", "fees", offered)
    picked = decide(
        '/choose_procedure{"procedure_code": "1.012783"}',
        "choose_procedure",
        None,
        "1.012783",
        route.aspect,
        search_returning("no_answer"),
    )
    assert (picked.code, picked.aspect) == ("1.012783", "fees")


def test_nothing_relevant_and_no_context_is_no_answer():
    assert (
        decide("thời tiết hôm nay", "ask_procedure", None, None, None, search_returning("no_answer")).kind
        == "no_answer"
    )


def test_out_of_scope_is_said_without_a_search():
    search = search_returning("answer", "1.001193")
    assert decide("thời tiết hôm nay", "out_of_scope", None, None, None, search).kind == "out_of_scope"
    assert search.queries == []


def search_by_query(results: dict[str, FakeResult]):
    """A search that answers each exact query its own way; any other gets no answer, though with a
    candidate, as the engine has for any word that may name a procedure."""

    def search(query: str) -> FakeResult:
        search.queries.append(query)
        return results.get(query, FakeResult("no_answer", [FakeHit("9.999999", "far")]))

    search.queries = []
    return search


def hits(*codes: str) -> list[FakeHit]:
    return [FakeHit(c, f"title {c}") for c in codes]


OFFERED = [
    ("1.001", "Đăng ký xe ô tô"),
    ("1.002", "Đăng ký xe mô tô, xe gắn máy"),
    ("1.003", "Đăng ký xe máy chuyên dùng"),
]


def test_a_refinement_typed_after_choices_is_read_with_the_pending_question():
    search = search_by_query({"đăng ký xe xe máy": FakeResult("clarify", hits("1.002", "9.999", "1.003"), 2)})
    turn = decide("xe máy", "out_of_scope", None, None, "fees", search, OFFERED, "đăng ký xe")
    assert (turn.kind, turn.code, turn.aspect) == ("answer", "1.002", "fees")  # the pending aspect is kept
    assert [code for code, _ in turn.options] == ["1.001", "1.003"]  # the other offered ones, for "không phải"
    assert "đăng ký xe xe máy" in search.queries


def test_a_refinement_pointing_to_several_offered_ones_narrows_the_choices_in_their_new_order():
    search = search_by_query({"đăng ký xe loại máy": FakeResult("clarify", hits("1.003", "1.002", "7.777"), 3)})
    turn = decide("loại máy", "ask_procedure", None, None, None, search, OFFERED, "đăng ký xe")
    assert turn.kind == "choices" and [c for c, _ in turn.options] == ["1.003", "1.002"]
    assert turn.question == "đăng ký xe loại máy"  # the next refinement reads both


def test_a_new_question_of_its_own_while_choices_are_open_is_answered():
    search = search_by_query({"làm hộ chiếu": FakeResult("answer", hits("2.000"))})
    turn = decide("làm hộ chiếu", "ask_procedure", None, None, None, search, OFFERED, "đăng ký xe")
    assert (turn.kind, turn.code) == ("answer", "2.000")


def test_a_refinement_that_points_nowhere_offered_falls_back_to_its_own_search():
    search = search_by_query({"thời tiết": FakeResult("no_answer")})
    turn = decide("thời tiết", "out_of_scope", None, None, None, search, OFFERED, "đăng ký xe")
    assert turn.kind == "no_answer"


@dataclass
class FakeGuide:
    id: str


class FakeGuides:
    """Life events as told; referrals from the real knowledge.guides (their rule is the route's)."""

    def __init__(self, event: str | None = None) -> None:
        self.event, self.asked = event, []

    def life_event(self, text: str, asked_as_event: bool = False) -> FakeGuide | None:
        self.asked.append(asked_as_event)
        return FakeGuide(self.event) if self.event else None

    def refer(self, text: str, search):
        return load_guides().refer(text, search)


def test_a_life_event_gets_its_guide_and_a_referral_comes_first():
    search = search_returning("answer", "1.000656")
    guides = FakeGuides(event="death")
    turn = decide("bố tôi mới mất", "ask_life_event", None, None, None, search, guides=guides)
    assert (turn.kind, turn.guide, guides.asked) == ("life_event", "death", [True])
    assert search.queries == []
    nothing_else = search_by_query({"how do i get a": FakeResult("no_answer")})
    turn = decide("how do I get a work permit", "ask_procedure", None, None, None, nothing_else, guides=FakeGuides("x"))
    assert (turn.kind, turn.guide) == ("referral", "work_permit")


def test_a_referral_word_beside_a_catalog_question_answers_the_question():
    search = search_by_query({"with my , how do i get a residence card": FakeResult("answer", hits("1.003460"))})
    text = "with my work permit, how do I get a residence card"
    turn = decide(text, "ask_procedure", None, None, None, search, guides=FakeGuides())
    assert (turn.kind, turn.code) == ("answer", "1.003460")


def test_a_follow_up_about_the_procedure_in_context_is_no_life_event():
    guides = FakeGuides(event="death")
    turn = decide("phí bao nhiêu", "ask_aspect", "1.000656", None, None, search_returning("no_answer"), guides=guides)
    assert (turn.kind, turn.code) == ("answer", "1.000656")


def test_overview_in_vietnamese_cites_and_lists_structure():
    reply = compose.procedure_answer(BIRTH, "overview", "vi", PLACE)
    assert reply.custom == {
        "type": "procedure",
        "code": "1.001193",
        "title": BIRTH.title,
        "aspect": "overview",
        "source_url": BIRTH.source_url,
    }
    for expected in (
        "1.001193",
        "☐ Tờ khai đăng ký khai sinh (1 bản chính)",
        "Miễn phí",
        "8.000 đồng",
        "xã An Lạc",
        BIRTH.source_url,
    ):
        assert expected in reply.text


def test_fees_in_english_use_english_words_and_amounts():
    reply = compose.procedure_answer(BIRTH, "fees", "en", PLACE)
    assert "Birth registration (code 1.001193)" in reply.text
    assert "Online: free" in reply.text and "In person: 8,000 VND" in reply.text
    assert "Source:" in reply.text


@pytest.mark.parametrize(
    "aspect", ["overview", "documents", "fees", "processing_time", "where", "online", "steps", "conditions", "result"]
)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_aspect_renders_with_citation_even_for_a_bare_record(aspect, language):
    bare = Procedure(code="9.999999", title="Thủ tục thử", source_url="https://example.test/x")
    reply = compose.procedure_answer(bare, aspect, language, PLACE)
    assert "9.999999" in reply.text and "https://example.test/x" in reply.text
    assert reply.custom["aspect"] == aspect


def test_choices_carry_buttons_and_payload():
    reply = compose.choices([("a", "Thủ tục A"), ("b", "Thủ tục B")], "vi")
    assert reply.custom == {
        "type": "choices",
        "options": [
            {"code": "a", "title": "Thủ tục A", "payload": '/choose_procedure{"procedure_code": "a"}'},
            {"code": "b", "title": "Thủ tục B", "payload": '/choose_procedure{"procedure_code": "b"}'},
        ],
    }
    assert reply.buttons[1]["payload"] == '/choose_procedure{"procedure_code": "b"}'


def test_no_answer_and_handoff_give_the_hotline():
    assert "1800" in compose.no_answer("vi", "18001096", "7:30–17:00").text
    handoff = compose.handoff("en", "18001096", "7:30–17:00", PLACE)
    assert handoff.custom == {"type": "handoff", "hotline": "18001096", "hours": "7:30–17:00"}
