"""Rule files load, validate and compile."""

import json

import pytest

from pipeline.notes import classify
from pipeline.notes.classify import LABELS, RuleError, get_nlp, load_rules, rules_version


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
    rules = load_rules(language)
    assert len(component.phrases) == sum(1 for r in rules if r.kind == "phrase")
    assert len(component.tokens) == sum(1 for r in rules if r.kind == "tokens")
    assert len(component.regexes) == sum(1 for r in rules if r.kind == "regex")
    text = "账期你们一般给多长？" if language == "zh" else "What are your payment terms?"
    assert any(h.label == "concerns" for h in nlp(text)._.memo_hits)


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


def test_unknown_aspect_is_rejected(tmp_path, monkeypatch) -> None:
    (tmp_path / "en").mkdir()
    line = json.dumps({"id": "x", "label": "strength", "aspect": "charm", "pattern": "warehouse"})
    (tmp_path / "en" / "patterns.jsonl").write_text(line + "\n", encoding="utf-8")
    monkeypatch.setattr(classify, "RULES_DIR", tmp_path)
    with pytest.raises(RuleError, match="unknown aspect 'charm'"):
        load_rules("en")


def test_rules_version_follows_the_rule_files(tmp_path, monkeypatch) -> None:
    import shutil

    shipped = rules_version()
    rules = tmp_path / "rules"
    shutil.copytree(classify.RULES_DIR, rules)
    shutil.copytree(classify.DATA_DIR, tmp_path / "data")
    monkeypatch.setattr(classify, "RULES_DIR", rules)
    monkeypatch.setattr(classify, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(classify, "PACKAGE_DIR", tmp_path)
    rules_version.cache_clear()
    try:
        same = rules_version()
        with (rules / "en" / "patterns.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps({"id": "en.test.01", "label": "market", "pattern": "bazaar"}) + "\n")
        rules_version.cache_clear()
        changed = rules_version()
    finally:
        rules_version.cache_clear()
    assert len(shipped) == 12
    assert same != changed


def test_renaming_rule_ids_changes_no_result(tmp_path, monkeypatch) -> None:
    """Behaviour lives in the fields (label, aspect, weight): ids only name a rule."""
    import shutil

    from pipeline.notes.build import build_notes
    from pipeline.types import Segment, Transcript

    turns = [
        ("dist", "We run three warehouses and forty trucks across the state."),
        ("dist", "Have you thought about a smaller pack for the corner stores?"),
        ("rep", "We could do a six-pack."),
    ]
    segs = tuple(Segment(i, i * 5.0, i * 5.0 + 4, text, spk) for i, (spk, text) in enumerate(turns))
    transcript = Transcript(language="en", segments=segs)

    def flags() -> list[tuple[str, bool, bool, bool]]:
        notes = build_notes(transcript, model=None)  # the rules alone: this is their test
        return [(s.category, s.question, s.suggestion, s.strength) for s in notes.segments]

    before = flags()
    rules = tmp_path / "rules"
    shutil.copytree(classify.RULES_DIR, rules)
    path = rules / "en" / "patterns.jsonl"
    lines = [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]
    path.write_text("".join(json.dumps({**o, "id": f"r{n}"}) + "\n" for n, o in enumerate(lines)), "utf-8")
    monkeypatch.setattr(classify, "RULES_DIR", rules)
    get_nlp.cache_clear()
    try:
        after = flags()
    finally:
        get_nlp.cache_clear()
    assert before[0][3] and before[1][2]  # the fleet is a strength, the proposal is advice
    assert after == before


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


def _has(language: str, text: str, label: str) -> bool:
    return classify.label_sentence(language, text).has(label)


def test_contracted_i_d_love_to_hear_is_an_indirect_question() -> None:
    assert _question("en", "I'd love to hear how the market here has changed.")


def test_chitchat_blocker_covers_the_question_mark() -> None:
    assert not _question("en", "Did you find us okay?")


def test_a_word_ending_in_a_hyphen_is_not_an_imperative() -> None:
    assert not _has("en", "Price-wise, a basic unit goes for about two hundred dollars.", "suggestion")
    assert _has("en", "Price it under thirty and it will move.", "suggestion")


def test_people_needs_a_number_to_be_headcount() -> None:
    assert not _has("en", "The GPS always sends people round to the back.", "parties")
    assert _has("en", "We're about eight hundred people now.", "parties")


def test_net_needs_a_number_to_be_payment_terms() -> None:
    metering = classify.label_sentence("en", "Since net metering went away, batteries sell.")
    assert not metering.scores.get("concerns")
    assert classify.label_sentence("en", "We'd want net sixty.").scores.get("concerns", 0) >= 2


def test_never_a_bad_debt_is_a_strength() -> None:
    assert _has("en", "We've never had a supplier write us off for bad debt.", "strength")


def test_zh_advice_forms() -> None:
    assert _has("zh", "千万不要让别的经销商跑过来卖。", "suggestion")
    assert _has("zh", "我的经验是，客人看得见摸得着才买，一定要配样机。", "suggestion")
    assert not _has("zh", "我们一定要独家。", "suggestion")


def test_zh_invitation_to_check_references_is_not_advice() -> None:
    assert not _has("zh", "我们从来没有跳过票，你去花莲问任何一家厂商都知道。", "suggestion")


def test_zh_ke_fou_and_neng_fou_ask() -> None:
    assert _question("zh", "那花东可否给我们独家")
    assert _question("zh", "资料能否按我们的格式给一套")


def test_zh_embedded_which_before_we_know_is_not_a_question() -> None:
    assert not _question("zh", "哪一家店缺什么，我们当天就知道。")


def test_zh_own_ordering_system_is_a_strength() -> None:
    labels = classify.label_sentence("zh", "我们两年前换了一套ERP，客户可以直接用手机下单。")
    assert labels.has("strength") and labels.scores.get("parties", 0) >= 1.5


def test_a_number_echoed_back_is_a_reaction_not_a_question() -> None:
    assert not _question("zh", "四百多家？")
    assert not _question("en", "Eight hundred stores?")
    assert _question("zh", "四百多家都是直营吗？")
    assert _question("zh", "几点送货？")
    assert _question("en", "Eight hundred stores, is that all independents?")


def test_advice_as_a_proposal_a_condition_or_what_i_would_do() -> None:
    assert _has("zh", "你们有没有想过出一个小包装？", "suggestion")
    assert _has("zh", "你们要是想做起来，别赶在冬天进货。", "suggestion")
    assert _has("zh", "首批别上太多，三个品就够了。", "suggestion")
    assert _has("en", "If you're coming back anyway, bring the samples in March.", "suggestion")
    assert _has("en", "For the clinics, I'd do a small sample box.", "suggestion")
    assert not _has("zh", "我们首批要独家。", "suggestion")


def test_rhetorical_and_embedded_questions_ask_nothing() -> None:
    assert not _question("zh", "网上一块钱十支，谁拼得过？")
    assert not _question("zh", "进货价都比网上贵，那还怎么卖？")
    assert not _question("zh", "要看你们的推广给多少支持")
    assert _question("zh", "谁负责售后？")
    assert _question("zh", "你们的推广给多少支持？")


def test_unpunctuated_colloquial_questions_still_ask() -> None:
    # A recogniser may write no question mark: the words alone must ask.
    assert _question("zh", "冰柜那两百台啥时候能到位")
    assert _question("zh", "这些你们都能配合出吧")
    assert not _question("zh", "一年差不多能出一百五十万片吧。")


def test_small_talk_about_the_trip_asks_nothing_but_shipping_and_online_sales_do() -> None:
    assert not _question("zh", "路上还顺利吧？")
    assert not _question("zh", "从高铁站过来还顺利吗？")
    assert _question("zh", "哦对了，样品能先寄几盒过来吗？")
    assert _question("zh", "欸另外，你们有在网路上卖吗？")
    # The verb misheard (寄 -> 计) leaves no shipping word: still not a trip.
    assert _question("zh", "样品的话，三种各计两包五公斤的过来可以吗？")
    assert _question("zh", "海运过来大概要多久？")
    assert not _question("zh", "这一路堵得很吧？")
    assert not _question("zh", "高铁过来的吧？")


def test_what_the_speaker_will_check_back_home_asks_nothing() -> None:
    # "I'll go back and ask whether…" reports the speaker's own next step.
    assert not _question("zh", "我回去跟厂长看看，能不能做一个含杆子的组合。")
    assert not _question("zh", "那这个我回去跟领导汇报，看能不能一起划给您。")
    assert not _question("zh", "颜色我得回去确认一下能不能加。")
    # Put to the other side, or ending in a question mark, it still asks.
    assert _question("zh", "您看能不能先给我们月结？")
    assert _question("zh", "第一年我要先看车行接不接受，前半年能不能先不要算？")
    assert _question("zh", "我想了解一下你们是怎么算的。")


def test_an_invitation_to_see_the_market_is_advice() -> None:
    # The label rules count advice "as an invitation": ride with my sales team, come to the
    # trade show, stand on our booth; the distributor proposes how the rep should learn the market.
    assert _has("zh", "下次你再来，跟我们业务跑一天，比我在这边讲一百遍还清楚。", "suggestion")
    assert _has("zh", "四月我们办老板联谊会，你们来摆一摊。", "suggestion")
    assert _has("zh", "要不要礼拜六来我们展间站一天？", "suggestion")
    assert _has("en", "And come with me to three or four schools next time.", "suggestion")
    assert _has("en", "Come back in a couple of weeks and ride along with Marco on his route.", "suggestion")
    # A figure of speech is not.
    assert not _has("en", "Come to think of it, we had that problem too.", "suggestion")


def test_a_question_someone_else_asks_and_a_you_tell_me_how_ask_nothing() -> None:
    # Reported speech: the shop's customers ask it, not the distributor.
    assert not _question("zh", "诊所最常问的就是，你这台到底能不能抓病毒，有没有报告。")
    assert not _question("zh", "很多是阿公阿嬷出钱，他们就很会问有没有折扣。")
    assert not _question("en", "It's not price. He'll ask you, how long does the battery last?")
    # "You tell me how the shop competes?" is a complaint, not a question.
    assert not _question("zh", "客人拿手机给我们看，你说门市要怎么办？")
    # The distributor's own questions still ask.
    assert _question("zh", "我想问一下，你们有没有检测报告？")
    assert _question("zh", "首批你们打算怎么配？")
    assert _question("en", "Can I ask, how long does the battery last?")
