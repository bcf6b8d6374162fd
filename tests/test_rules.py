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
