"""Unit tests of the retrieval pieces on small hand-made data (no model, no catalog)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.analysis import clauses, lexical_terms, query_terms, syllables
from knowledge.chunks import DENSE_KINDS, SEPARATOR, procedure_chunks
from knowledge.diacritics import DiacriticRestorer
from knowledge.evaluate import Outcome, Question, calibrate, metrics, redecide
from knowledge.glossary import Glossary, load_glossary
from knowledge.index import EmbeddingCache, without_copies
from knowledge.language import foreign_ratio, has_diacritics
from knowledge.model import Channel, Document, Overlay, Procedure
from knowledge.search import SIGNALS, DecisionModel, Features, RankParams, fuse
from knowledge.search.plan import split_at
from knowledge.search.rows import group_starts

# --------------------------------------------------------------------------- analysis


def test_folded_terms_ignore_diacritics() -> None:
    assert lexical_terms("Làm giấy khai sinh") == lexical_terms("lam giay khai sinh")
    assert "khai_sinh" in lexical_terms("làm giấy khai sinh")
    assert "dang_ky" in lexical_terms("Đăng ký")  # đ folds to d


def test_bigrams_stay_inside_clauses() -> None:
    terms = lexical_terms("Hộ tịch; khai sinh")
    assert "tich_khai" not in terms and "ho_tich" in terms and "khai_sinh" in terms
    assert clauses("a b, c") == [["a", "b"], ["c"]]
    assert syllables("Mã 1.001193 ngày 08/2025") == ["mã", "1.001193", "ngày", "08/2025"]


def test_query_terms_match_stopwords_before_folding() -> None:
    stop = frozenset({"cần", "gì", "làm"})
    terms = query_terms([["làm", "căn", "cước", "cần", "gì"]], stop)
    assert "can" in terms  # "căn" is kept although it folds like the stopword "cần"
    assert "can_cuoc" in terms
    assert "cuoc_can" not in terms  # no bigram touching a stopword
    assert "lam" not in terms


def test_diacritics_and_language_guess() -> None:
    assert has_diacritics("đi") and has_diacritics("làm") and not has_diacritics("lam giay")
    vocab = frozenset({"lam", "giay", "khai", "sinh", "the", "do"})
    assert foreign_ratio(syllables("lam giay khai sinh"), vocab) == 0.0
    assert foreign_ratio(syllables("how do I get a birth certificate"), vocab) > 0.5


# --------------------------------------------------------------------------- glossary


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


def test_english_terms_expand_only_english_queries(glossary: Glossary) -> None:
    english = glossary.expand("renew my driving licence", english=True)
    assert "giấy phép lái xe" in english.terms
    assert "giấy phép lái xe" not in glossary.expand("renew my driving licence", english=False).terms


def test_colloquial_terms_match_with_or_without_marks(glossary: Glossary) -> None:
    for query in ("làm sổ đỏ", "lam so do"):
        assert "giấy chứng nhận quyền sử dụng đất" in glossary.expand(query, english=False).terms


@pytest.mark.parametrize(
    "query, meant",
    [("mới cưới vợ", True), ("moi cuoi vo", True), ("tôi muốn cười", False), ("kể chuyện cười đi", False)],
)
def test_a_word_typed_with_other_marks_is_not_the_colloquial_key(glossary: Glossary, query: str, meant: bool) -> None:
    """ "cười" (laugh) and "cưới" (wed) fold alike; only the unmarked "cuoi" may be either."""
    assert ("kết hôn" in glossary.expand(query, english=False).terms) is meant


def test_overlapping_keys_both_expand_but_nested_ones_do_not(glossary: Glossary) -> None:
    terms = glossary.expand("thi bằng lái xe", english=False).terms
    assert any("sát hạch" in t for t in terms) and "giấy phép lái xe" in terms


def test_aspect_phrases_name_a_section(glossary: Glossary) -> None:
    exp = glossary.expand("đăng ký kết hôn mất bao lâu", english=False)
    assert exp.aspects == ["fees"] and ("mat", "bao", "lau") in exp.aspect_phrases
    assert "documents" in glossary.expand("cần giấy tờ gì", english=False).aspects


def test_rewrite_spells_out_whole_words_only(glossary: Glossary) -> None:
    assert glossary.rewrite("dk ket hon can gi j") == "đăng ký ket hon can gi gì"
    assert glossary.rewrite("500k") == "500k"
    assert glossary.abbreviation_terms("Công ty TNHH, điểm k khoản 1") == ["trách nhiệm hữu hạn"]


def test_every_glossary_value_is_text() -> None:
    g = load_glossary()
    for table in (g.english, g.colloquial):
        assert all(isinstance(v, str) and v.strip() for vs in table.values() for v in vs)
    assert {a for vs in g.aspects.values() for a in vs} <= {"documents", "fees", "steps", "conditions", "overview"}


@pytest.mark.parametrize(
    ("query", "official"),
    [
        ("how do I extend my visa", "gia hạn tạm trú"),
        ("how much is a permanent resident card", "thẻ thường trú"),
        ("my TRC is about to expire", "thẻ tạm trú"),
        ("apply for an e-visa", "thị thực điện tử"),
        ("background check for a job", "lý lịch tư pháp"),
        ("convert garden land to residential land", "chuyển mục đích sử dụng đất sang đất ở"),
        ("motorbike registration", "đăng ký xe mô tô"),
        ("renew my business licence", "đăng ký kinh doanh"),
        ("notarised copy of my degree", "chứng thực bản sao từ bản chính"),
    ],
)
def test_english_vocabulary_expands_to_official_wording(glossary: Glossary, query: str, official: str) -> None:
    assert official in ", ".join(glossary.expand(query, english=True).terms)


# --------------------------------------------------------------------------- foreigner signal

FOREIGNER = "người nước ngoài"
FOREIGN_ELEMENT = "có yếu tố nước ngoài"


@pytest.mark.parametrize(
    ("query", "english"),
    [
        ("I'm Korean, where do I get a residence card", True),
        ("I am from India and my visa runs out", True),
        ("an expat renting a flat", True),
        ("how do I extend my stay", True),  # English, on a topic that has a foreigners' variant
        ("a foreigner marrying a Vietnamese citizen", True),  # a cue outweighs the citizen
        ("chồng tôi quốc tịch Hàn Quốc, làm khai sinh cho con", False),
        ("lam the tam tru cho chuyen gia trung quoc", False),
    ],
)
def test_a_question_about_a_foreigner_gets_the_foreigners_wording(
    glossary: Glossary, query: str, english: bool
) -> None:
    expansion = glossary.expand(query, english)
    assert expansion.foreigner and FOREIGNER in expansion.terms


@pytest.mark.parametrize(
    ("query", "english"),
    [
        ("I am a Vietnamese citizen, how do I extend my stay", True),
        ("register my baby's birth", True),  # English, but the citizens' procedure is the usual one
        ("how to apply for a US tourist visa", True),  # a visa for abroad says nothing of the asker
        ("gia hạn tạm trú ở phường", False),
        ("dang ky tam tru cho nguoi lao dong", False),  # "người lao động" is no Laotian
        ("công dân Việt Nam đăng ký tạm trú", False),
    ],
)
def test_no_foreigner_signal_without_a_cue(glossary: Glossary, query: str, english: bool) -> None:
    expansion = glossary.expand(query, english)
    assert not expansion.foreigner and FOREIGNER not in expansion.terms


def test_a_foreigners_variant_adds_its_own_wording(glossary: Glossary) -> None:
    assert FOREIGN_ELEMENT in glossary.expand("I'm Japanese, how do we register our baby's birth", True).terms
    assert FOREIGN_ELEMENT not in glossary.expand("I'm Japanese, how do I get a residence card", True).terms
    # an event registered abroad and only recorded here: the "ghi chú" titles do not say it
    assert FOREIGN_ELEMENT not in glossary.expand("record my son's Japanese birth certificate", True).terms
    licence = "bằng lái xe của người nước ngoài"
    assert licence in glossary.expand("convert my Korean driving licence", True).terms
    assert licence not in glossary.expand("I'm an expat and my Vietnamese driving licence expired", True).terms


def test_foreigner_cues_are_data() -> None:
    signal = Glossary.from_dict(
        {"foreigner": {"wording": ["người nước ngoài"], "origins": {"en": ["from"]}, "countries": {"en": ["mars"]}}}
    ).foreigner
    assert signal.about_foreigner(["from", "mars"], english=True)
    assert not signal.about_foreigner(["from", "hanoi"], english=True)
    assert not Glossary.from_dict({}).expand("I am Korean", english=True).foreigner


# --------------------------------------------------------------------------- diacritics

TRAINING = [
    "Thủ tục đăng ký khai sinh cho trẻ em",
    "Đăng ký kết hôn; đăng ký khai tử",
    "Giấy khai sinh, giấy tờ tùy thân",
    "Làm giấy khai sinh cho con ở đâu",
    "Cấp mới giấy phép. Đăng ký mới. Làm mới thẻ. Mua bán xe",
    "bảo vệ môi trường, môi trường sống, môi trường nước, về môi trường",
]


def test_restorer_puts_the_marks_back() -> None:
    r = DiacriticRestorer.train(TRAINING)
    assert r.restore("lam giay khai sinh cho con") == "làm giấy khai sinh cho con"
    assert r.restore("dang ky ket hon") == "đăng ký kết hôn"


def test_restorer_keeps_typed_marks_and_unknown_words() -> None:
    r = DiacriticRestorer.train(TRAINING)
    assert r.restore("giấy khai sinh xyz") == "giấy khai sinh xyz"


def test_restorer_prefers_histories_with_many_continuations() -> None:
    # "môi" (more frequent) is always followed by "trường", "mới" by many words; neither was
    # seen before "mua". Witten-Bell gives the unseen pair far less room after "môi".
    r = DiacriticRestorer.train(TRAINING)
    assert r.restore("xe moi mua") == "xe mới mua"


def test_restorer_ignores_unaccented_training_text(tmp_path: Path) -> None:
    r = DiacriticRestorer.train([*TRAINING, "lam giay khai sinh cho con o dau"])
    assert "lam" not in r.candidates.get("lam", [])
    r.save(tmp_path / "r.json")
    assert DiacriticRestorer.load(tmp_path / "r.json").restore("dang ky") == "đăng ký"


# --------------------------------------------------------------------------- chunks and build helpers


def _procedure(code: str = "1.000001", **overlay: object) -> Procedure:
    return Procedure(
        code=code,
        title="Thủ tục đăng ký khai sinh",
        levels=["commune"],
        field="Hộ tịch",
        channels=[Channel(kind="in_person", time_limit="1 ngày", fee="Miễn phí", fee_vnd=0)],
        documents=[Document(name="Tờ khai đăng ký khai sinh"), Document(name="Giấy chứng sinh")],
        steps=["Nộp hồ sơ", "Nhận kết quả"],
        conditions="Trong 60 ngày kể từ ngày sinh",
        overlay=Overlay(**overlay),
    )


def test_chunks_per_section_carry_their_heading() -> None:
    p = _procedure(
        aliases=["làm giấy khai sinh"],
        questions_vi=["khai sinh cần gì"],
        title_en="Birth registration",
        summary_vi="Làm giấy khai sinh cho trẻ mới sinh.",
    )
    chunks = procedure_chunks(p)
    kinds = [c.kind for c in chunks]
    assert kinds == ["overview", "alias", "question", "summary", "english", "documents", "fees", "steps", "conditions"]
    docs = next(c for c in chunks if c.kind == "documents")
    assert docs.heading == f"Thủ tục đăng ký khai sinh{SEPARATOR}Thành phần hồ sơ"
    assert "Giấy chứng sinh" in docs.text and not docs.dense
    assert {c.kind for c in chunks if c.dense} == set(DENSE_KINDS)
    assert "làm giấy khai sinh" in chunks[0].text and "Cấp xã" in chunks[0].text
    assert chunks[0].passage() == "Thủ tục đăng ký khai sinh. Hộ tịch"  # short: title and field
    assert chunks[1].passage().startswith("Thủ tục đăng ký khai sinh › Tên gọi khác: ")
    assert all(len(c.passage()) <= 400 for c in chunks)


def test_without_copies_drops_only_near_copies_of_held_out_questions() -> None:
    p = _procedure(questions_vi=["Làm giấy khai sinh cho con ở đâu?", "khai sinh mất bao lâu"])
    kept, dropped = without_copies([p], ["lam giay khai sinh cho con o dau"])
    assert dropped == 1 and kept[0].overlay.questions_vi == ["khai sinh mất bao lâu"]
    assert without_copies([p], [])[1] == 0


def test_embedding_cache_round_trip_keeps_keys_ending_in_nul(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "model-x")
    key = b"\x01" * 19 + b"\x00"  # fixed-width numpy strings would drop this last byte
    cache.vectors[key] = np.ones(3, dtype=np.float32)
    cache.vectors[cache.key("a")] = np.zeros(3, dtype=np.float32)
    cache.save()
    again = EmbeddingCache(tmp_path, "model-x")
    assert set(again.vectors) == set(cache.vectors)
    assert EmbeddingCache(tmp_path, "model-y").vectors == {}


# --------------------------------------------------------------------------- fusion and decision


def _features(dense: list[float], level: list[float], **kw: list[float]) -> Features:
    n = len(dense)
    zeros = np.zeros(n)
    return Features(
        dense=np.array(dense),
        bm25=np.array(kw.get("bm25", zeros)),
        cover_name=np.array(kw.get("cover_name", zeros)),
        cover_all=np.array(kw.get("cover_all", zeros)),
        prior_level=np.array(level),
        prior_curated=zeros,
        title_cover=np.array(kw.get("title_cover", zeros)),
    )


def test_fusion_weights_and_level_tie_break() -> None:
    f = _features(dense=[0.90, 0.90, 0.80], level=[0.0, 1.0, 1.0], bm25=[0.2, 0.2, 1.0])
    scores = fuse(f, RankParams())
    assert scores[1] > scores[0]  # same evidence: the commune-level procedure wins
    dense_only = fuse(f, RankParams(cover_all=0, bm25=0, level=0))
    lexical_only = fuse(f, RankParams(dense=0, cover_all=0, level=0))
    assert dense_only.argmax() in (0, 1) and lexical_only.argmax() == 2
    # a title with words the query lacks ("… có yếu tố nước ngoài") loses to the plain one
    plain = _features(dense=[0.90, 0.90], level=[1.0, 1.0], title_cover=[1.0, 0.5])
    assert fuse(plain, RankParams()).argmax() == 0


def _model() -> DecisionModel:
    # P(in scope) and P(right) both rise with the top score; nothing else matters.
    weights_in = (-10.0, 10.0, *([0.0] * (len(SIGNALS) - 1)))
    weights_ok = (-20.0, 10.0, *([0.0] * (len(SIGNALS) - 1)))
    return DecisionModel(weights_in, weights_ok, answer_at=0.9, none_below=0.5, window=0.1)


def _signals(score: float) -> dict[str, float]:
    return {s: (score if s == "score" else 0.0) for s in SIGNALS}


def test_decision_answer_clarify_no_answer() -> None:
    m = _model()
    assert m.decide(_signals(3.0), [3.0, 2.0]) == ("answer", 1)
    assert m.decide(_signals(0.5), [0.5, 0.4]) == ("no_answer", 0)
    decision, choice_count = m.decide(_signals(1.5), [1.5, 1.45, 1.41, 1.2, 1.0, 0.9])
    assert decision == "clarify" and choice_count == 3
    assert m.decide(_signals(1.5), [1.5, 0.2])[1] == 2  # clarify always offers at least two
    assert m.decide(_signals(3.0), []) == ("no_answer", 0)


def test_decision_model_round_trip_and_mismatched_signals() -> None:
    m = _model()
    assert DecisionModel.from_dict(m.to_dict()) == m
    stale = {**m.to_dict(), "signals": ["score"]}
    assert DecisionModel.from_dict(stale).decide(_signals(9.0), [9.0, 1.0])[0] != "answer"


def _outcome(i: int, score: float, in_scope: bool, right: bool) -> Outcome:
    q = Question(f"q{i:03d}", f"query {i}", "vi" if in_scope else "oos", ["1.1"] if in_scope else [])
    ranked = ["1.1", "2.2"] if right else ["2.2", "1.1"]
    return Outcome(q, ranked, [score, score - 0.5], "clarify", _signals(score))


def test_calibration_separates_in_scope_from_out_of_scope() -> None:
    rng = np.random.default_rng(0)
    outcomes = [_outcome(i, 3 + rng.normal(0, 0.3), True, True) for i in range(60)]
    outcomes += [_outcome(100 + i, 2 + rng.normal(0, 0.3), True, False) for i in range(20)]
    outcomes += [_outcome(200 + i, 0.5 + rng.normal(0, 0.3), False, False) for i in range(20)]
    model = calibrate(outcomes)
    m = metrics(redecide(outcomes, model))
    assert m["oos"]["answered"] <= 0.05 and m["all"]["no_answer"] <= 0.05
    assert m["oos"]["no_answer_recall"] >= 0.9
    assert m["all"]["answer_correct"] >= 0.6 and m["all"]["answer_wrong"] <= 0.05


def test_split_at_drops_phrases_and_cuts_clauses() -> None:
    parts = [["kết", "hôn", "mất", "bao", "lâu", "ở", "đâu"]]
    assert split_at(parts, {("mat", "bao", "lau")}) == [["kết", "hôn"], ["ở", "đâu"]]
    assert split_at(parts, set()) == parts


def test_group_starts_allow_the_fast_per_procedure_max() -> None:
    procedure = np.array([0, 0, 1, 2, 2, 2])
    values = np.array([0.1, 0.5, 0.3, 0.2, 0.9, 0.4])
    starts = group_starts(procedure, 3)
    assert starts is not None and list(np.maximum.reduceat(values, starts)) == [0.5, 0.3, 0.9]
    assert group_starts(np.array([0, 2, 2]), 3) is None  # procedure 1 has no rows
    assert group_starts(np.array([1, 0]), 2) is None  # not grouped


@pytest.mark.parametrize(
    "query, core",
    [
        ("còn làm hộ chiếu thì sao?", "làm hộ chiếu"),
        ("con tôi mới sinh", "con tôi mới sinh"),  # a child, not the chat word "còn"
        ("cho hỏi, đăng ký tạm trú ở đâu ạ", "đăng ký tạm trú ở đâu"),  # aspect words stay
        ("sổ đỏ", "sổ đỏ"),
        ("đăng ký kết hôn với người nước ngoài", "đăng ký kết hôn với người nước ngoài"),  # "với" inside stays
        ("thì sao", "thì sao"),  # nothing but the wrapper: left as it is
    ],
)
def test_chat_wrapper_is_cut_from_both_ends(query: str, core: str) -> None:
    assert " ".join(t for c in load_glossary().unwrap(clauses(query), english=False) for t in c) == core


def test_english_chat_wrapper() -> None:
    assert load_glossary().unwrap(clauses("what about a passport then"), english=True) == [["a", "passport"]]


def test_restricted_labels_turn_missing_procedures_out_of_scope() -> None:
    from knowledge.evaluate import restrict

    questions = [
        Question("q1", "kết hôn", "vi", ["1.000894", "2.000806"], "p1"),
        Question("q2", "kết hôn với người nước ngoài", "vi", ["2.000806"], "p2"),
        Question("q3", "thời tiết", "oos", []),
    ]
    kept = restrict(questions, {"1.000894"})
    assert [(q.variant, q.codes, q.pair) for q in kept] == [
        ("vi", ["1.000894"], "p1"),
        ("oos", [], None),
        ("oos", [], None),
    ]


def test_a_vague_question_answered_outright_is_never_correct() -> None:
    vague = Question("v1", "chứng thực", "vague", ["2.000815", "2.000884"])
    answered = Outcome(vague, ["2.000815"], [4.0], "answer", {})
    asked = Outcome(vague, ["2.000884", "2.000815"], [4.0, 3.9], "clarify", {}, choice_count=2)
    assert not answered.correct
    m = metrics([answered, asked, Outcome(Question("q", "x", "vi", ["1"]), ["1"], [1.0], "answer", {})])
    assert m["vague"] == {"n": 2, "answered": 0.5, "clarify_relevant": 0.5, "no_answer": 0.0}
    assert m["all"]["n"] == 1  # vague questions stay out of the ranking figures


def test_a_top_variant_not_asked_for_gives_way_to_its_base() -> None:
    from knowledge.search.variants import base_first, title_words

    titles = [
        "Cấp điều chỉnh giấy phép xây dựng đối với nhà ở riêng lẻ",
        "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
        "Gia hạn giấy phép xây dựng đối với nhà ở riêng lẻ",
    ]
    words = [title_words(t, frozenset({"doi", "voi"})) for t in titles]
    assert base_first([0, 1, 2], words, {"xin", "giay", "phep", "xay", "nha"}, window=2) == [1, 0, 2]
    assert base_first([0, 1, 2], words, {"dieu", "chinh", "giay", "phep", "xay", "dung"}, window=2) == [0, 1, 2]
    assert base_first([0, 2, 1], words, {"giay", "phep", "xay", "dung"}, window=1) == [0, 2, 1]  # base too far
