"""Rule files load, validate and compile."""

import json

import pytest

from pipeline import classify
from pipeline.classify import LABELS, RuleError, get_nlp, load_rules, rules_version


@pytest.mark.parametrize("language", ["zh", "en"])
def test_rule_ids_are_unique(language: str) -> None:
    ids = [r.id for r in load_rules(language)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_rule_labels_are_known(language: str) -> None:
    assert {r.label for r in load_rules(language)} <= set(LABELS)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_pattern_compiles_into_the_pipeline(language: str) -> None:
    nlp = get_nlp(language)
    component = nlp.get_pipe("memo_classifier")
    n_phrase = sum(1 for r in load_rules(language) if r.kind == "phrase")
    assert len(component.phrases) == n_phrase
    assert nlp("ok")._.memo_hits is not None


def test_get_nlp_is_cached() -> None:
    assert get_nlp("en") is get_nlp("en")


def test_rule_ids_travel_with_hits() -> None:
    hits = classify.match("zh", "账期你们一般给多长？")
    assert any(h.label == "concerns" and h.rule_id.startswith("zh.concerns.") for h in hits)


def test_duplicate_id_is_rejected(tmp_path, monkeypatch) -> None:
    (tmp_path / "zh").mkdir()
    line = json.dumps({"id": "x", "label": "market", "pattern": "市场"}, ensure_ascii=False)
    (tmp_path / "zh" / "patterns.jsonl").write_text(line + "\n" + line + "\n", encoding="utf-8")
    monkeypatch.setattr(classify, "RULES_DIR", tmp_path)
    with pytest.raises(RuleError, match="duplicate"):
        load_rules("zh")


def test_unknown_label_is_rejected(tmp_path, monkeypatch) -> None:
    (tmp_path / "en").mkdir()
    line = json.dumps({"id": "x", "label": "pricing", "pattern": "price"})
    (tmp_path / "en" / "patterns.jsonl").write_text(line + "\n", encoding="utf-8")
    monkeypatch.setattr(classify, "RULES_DIR", tmp_path)
    with pytest.raises(RuleError, match="unknown label"):
        load_rules("en")


def test_bad_regex_is_rejected(tmp_path, monkeypatch) -> None:
    (tmp_path / "en").mkdir()
    line = json.dumps({"id": "x", "label": "market", "pattern": {"regex": "(unclosed"}})
    (tmp_path / "en" / "patterns.jsonl").write_text(line + "\n", encoding="utf-8")
    monkeypatch.setattr(classify, "RULES_DIR", tmp_path)
    with pytest.raises(RuleError, match="bad regex"):
        load_rules("en")


def test_rules_version_is_a_short_hash() -> None:
    version = rules_version()
    assert len(version) == 12 and int(version, 16) >= 0


def _question(language: str, text: str) -> bool:
    return classify.label_sentence(language, text).has("question")


def test_topic_ne_before_a_pause_is_not_a_question() -> None:
    assert not _question("zh", "现在呢，厂房有三万多平，员工五百出头。")
    assert _question("zh", "那物流呢？")


def test_echoed_refusal_is_not_a_not_a_question() -> None:
    assert not _question("zh", "不抽不抽，谢谢马总。")
    assert not _question("zh", "没事没事，您别忙。")
    assert _question("zh", "卖不动的型号能不能退？")


def test_embedded_either_or_is_not_a_question() -> None:
    assert not _question("zh", "最好在盒子上写清楚是进口的还是国产的。")
    assert _question("zh", "你们是做自己的牌子，还是主要给人代工？")


def test_statement_about_what_a_system_shows_is_not_a_question() -> None:
    assert not _question("zh", "我们的系统看得到每一家店每一支口红卖多少。")


def test_contracted_you_d_want_to_is_advice() -> None:
    assert classify.label_sentence("en", "You'd want to keep some stock near the port.").has("suggestion")


def test_online_price_control_needs_a_price() -> None:
    priced = classify.label_sentence("zh", "网上卖十块钱一个，我这边就没法做了。")
    assert priced.scores.get("concerns", 0) >= 2
    assert not classify.label_sentence("zh", "目前只有在网路卖，想进实体通路。").scores.get("concerns")


def test_zh_regexes_are_case_sensitive_except_inline() -> None:
    assert classify.label_sentence("zh", "一共十二个sku。").has("product")


def test_a_hit_never_spans_two_sentences() -> None:
    one, two = classify.label_sentences("zh", ["我们的系统看得到", "一个卖多少？"])
    assert not one.has("not_question") and two.has("question")
