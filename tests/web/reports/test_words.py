"""The summary's sentences as a reader sees them, in English and Russian; names hidden as "Member n"."""
from __future__ import annotations

from flask_babel import force_locale

from web.reports.words import Names, sentence

MOSTLY = {"code": "loyal_up_mostly", "params": {"n": 12, "group": "event", "name": "October meet-up", "k": 9,
                                                "of": 12}}


def test_sentences_in_english_and_russian(app):
    with app.test_request_context():
        with force_locale("en"):
            assert sentence(MOSTLY) == ("Loyal and advocates +12, mostly members who attended October meet-up "
                                        "(9 of 12 who moved up).")
            starter = {"code": "loyal_up_partly", "params": {"n": 3, "group": "segment", "name": "Advocates",
                                                             "starter": "advocates", "k": 1, "of": 4}}
            assert "members of the segment Advocates" in sentence(starter)
            assert sentence({"code": "loyal_down", "params": {"n": -4}}) == \
                "Loyal and advocates -4 against the previous period."
        with force_locale("ru"):
            assert sentence(MOSTLY).startswith("Лояльные и адвокаты: +12, в основном участники, побывавшие на")
            assert "Advocates" not in sentence(starter)                   # the starter's Russian name


def test_hidden_names_number_members_in_order(app):
    with app.test_request_context(), force_locale("en"):
        names = Names(show=False)
        assert [names({"id": i, "name": n}) for i, n in (("a", "Ann"), ("b", "Bob"), ("a", "Ann"))] == \
            ["Member 1", "Member 2", "Member 1"]
        assert Names(show=True)({"id": "a", "name": "Ann"}) == "Ann"
