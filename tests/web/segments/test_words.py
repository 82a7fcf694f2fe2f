"""The engine in words: every registry field is labelled and offered, the starters' texts are the engine's,
conditions read as sentences in English and Russian, and problems translate."""
from __future__ import annotations

from flask_babel import force_locale

from tenants.segments.fields import REGISTRY
from tenants.segments.starters import STARTERS
from web.segments import words


def test_every_registry_field_has_a_label_and_a_group_and_no_label_is_stale():
    grouped = [name for _label, names in words.GROUPS for name in names]
    assert sorted(grouped) == sorted([*REGISTRY, "segment"]) == sorted(words.FIELDS)


def test_starter_texts_are_the_engines_originals(app):
    with app.test_request_context(), force_locale("en"):
        assert {code: (str(n), str(d)) for code, (n, d) in words.STARTERS.items()} == \
            {code: (name, description) for code, (name, description, _c, _r) in STARTERS.items()}


def test_conditions_read_as_sentences(app):
    cases = [
        ({"field": "stage", "op": "in", "value": ["loyal", "advocate"]}, "Loyalty stage is any of Loyal, Advocate",
         "Стадия лояльности любое из Лояльный, Амбассадор"),
        ({"field": "activity", "op": "gte", "value": {"type": "message", "count": 3, "within_days": 30}},
         "Message: at least 3 in the last 30 days", "Сообщение: не менее 3 за последние 30 дней"),
        ({"field": "at_risk", "op": "eq", "value": True}, "At risk: yes", None),
        ({"field": "last_active", "op": "not_within_days", "value": 1}, "Last active not in the last 1 day", None),
        ({"field": "segment", "op": "in", "value": ["abc"]}, "Segment is any of “Fans”", None),
        ({"field": "engagement", "op": "between", "value": [2, 5]}, "Engagement score between 2 and 5", None),
        ({"field": "junk", "op": 3, "value": {"x": 1}}, None, None),
    ]
    with app.test_request_context():
        for leaf, en, ru in cases:
            with force_locale("en"):
                text = words.describe(leaf, {"abc": "Fans"})
                assert text == en or en is None, text
            if ru:
                with force_locale("ru"):
                    assert words.describe(leaf) == ru
        with force_locale("en"):
            assert words.rule_lines({"not": {"any": [{"field": "tag", "op": "eq", "value": "vip"}]}}) == [
                (0, "None of:"), (1, "Tag is vip")]


def test_problems_translate_with_their_numbers(app):
    with app.test_request_context(), force_locale("ru"):
        assert words.problem("must be a whole number from 1 to 3650") == "введите целое число от 1 до 3650"
        assert words.problem("something new") == "something new"


def test_a_missing_part_is_named_by_its_place(app):
    with app.test_request_context(), force_locale("ru"):
        assert words.problem("is required", "rules.all[0].field") == "выберите поле"
        assert words.problem("is required", "rules.any[1].all[0].value.count") == "укажите значение"
    with app.test_request_context(), force_locale("en"):
        assert words.problem("is required", "rules.all[2].field") == "choose a field"


def test_the_builder_lists_equality_as_words_and_a_sentence_keeps_its_dash(app):
    with app.test_request_context(), force_locale("ru"):
        assert [words.op_choice("enum", op) for op in ("eq", "ne", "in")] == ["равно", "не равно", "любое из"]
        assert words.op_choice("activity", "eq") == "ровно"
        assert words.describe({"field": "tag", "op": "eq", "value": "vip"}) == "Тег — vip"
    with app.test_request_context(), force_locale("en"):
        assert [words.op_choice("enum", op) for op in ("eq", "ne")] == ["is", "is not"]
