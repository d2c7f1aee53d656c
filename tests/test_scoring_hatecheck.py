"""The offensive-language score measured on HateCheck; the README's figures must be these measured ones."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from collectors.enrich import score_abuse

README = Path(__file__).resolve().parents[1] / "README.md"
THRESHOLDS = (0.5, 0.2)

# HateCheck's functionalities (Röttger et al., ACL 2021, Table 1), in the paper's order.
FUNCTIONALITIES = {
    "derog_neg_emote_h": "strong negative emotions about a group",
    "derog_neg_attrib_h": "very negative attributes given to a group",
    "derog_dehum_h": "dehumanisation",
    "derog_impl_h": "implicit derogation",
    "threat_dir_h": "direct threat",
    "threat_norm_h": "threat as a normative statement",
    "slur_h": "hate expressed with a slur",
    "slur_homonym_nh": "a homonym of a slur",
    "slur_reclaimed_nh": "a reclaimed slur",
    "profanity_h": "hate expressed with profanity",
    "profanity_nh": "profanity that is not hateful",
    "ref_subs_clause_h": "hate by reference in a later clause",
    "ref_subs_sent_h": "hate by reference in a later sentence",
    "negate_pos_h": "hate as a negated positive statement",
    "negate_neg_nh": "a negated hateful statement",
    "phrase_question_h": "hate phrased as a question",
    "phrase_opinion_h": "hate phrased as an opinion",
    "ident_neutral_nh": "a neutral mention of a group",
    "ident_pos_nh": "a positive mention of a group",
    "counter_quote_nh": "counter-speech quoting hate",
    "counter_ref_nh": "counter-speech referring to hate",
    "target_obj_nh": "abuse aimed at an object",
    "target_indiv_nh": "abuse aimed at an individual",
    "target_group_nh": "abuse aimed at a group that is not protected",
    "spell_char_swap_h": "obfuscated: swapped characters",
    "spell_char_del_h": "obfuscated: a missing character",
    "spell_space_del_h": "obfuscated: missing spaces",
    "spell_space_add_h": "obfuscated: added spaces",
    "spell_leet_h": "obfuscated: leet speak",
}

# What a campaign's safety desk asks of the score, each a share of some functionalities' cases.
GROUPS = [
    ("hateful posts with no swear word, flagged", "flagged",
     [f for f in FUNCTIONALITIES if f.endswith("_h") and not f.startswith(("profanity", "spell"))]),
    ("hateful posts with profanity, flagged", "flagged", ["profanity_h"]),
    ("hateful posts with obfuscated spelling, flagged", "flagged", [f for f in FUNCTIONALITIES if f.startswith("spell")]),
    ("abuse aimed at an individual, flagged", "flagged", ["target_indiv_nh"]),
    ("counter-speech (quoting or referring to hate), left alone", "left", ["counter_quote_nh", "counter_ref_nh"]),
    ("friendly (not hateful) profanity, left alone", "left", ["profanity_nh"]),
    ("reclaimed slurs, left alone", "left", ["slur_reclaimed_nh"]),
    ("neutral or positive mentions of a group, left alone", "left", ["ident_neutral_nh", "ident_pos_nh"]),
]


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%"


def measured_tables(realworld: Path) -> list[str]:
    """The README's HateCheck tables, as Markdown lines, from the score on every test case."""
    with (realworld / "abuse" / "hatecheck_test_suite_cases.csv").open(encoding="utf-8", newline="") as handle:
        cases = list(csv.DictReader(handle))
    assert len(cases) == 3728 and {case["functionality"] for case in cases} == set(FUNCTIONALITIES)
    scores = score_abuse([case["test_case"] for case in cases])
    hateful = [case["label_gold"] == "hateful" for case in cases]

    lines = ["| threshold | precision | recall | hateful cases flagged | non-hateful cases flagged |",
             "|---|---|---|---|---|"]
    for threshold in THRESHOLDS:
        flagged = [score >= threshold for score in scores]
        true_positive = sum(f and h for f, h in zip(flagged, hateful, strict=True))
        false_positive = sum(f and not h for f, h in zip(flagged, hateful, strict=True))
        lines.append(f"| {threshold} | {true_positive / (true_positive + false_positive):.2f} "
                     f"| {true_positive / sum(hateful):.2f} | {true_positive:,} of {sum(hateful):,} "
                     f"| {false_positive:,} of {len(cases) - sum(hateful):,} |")

    def share(functionalities, threshold, want):
        chosen = [(score >= threshold) for case, score in zip(cases, scores, strict=True)
                  if case["functionality"] in functionalities]
        return _percent(sum(chosen) if want == "flagged" else len(chosen) - sum(chosen), len(chosen)), len(chosen)

    lines += ["", "| what the desk needs | cases | at 0.5 | at 0.2 |", "|---|---|---|---|"]
    for label, want, functionalities in GROUPS:
        (high, count), (low, _) = (share(functionalities, t, want) for t in THRESHOLDS)
        lines.append(f"| {label} | {count:,} | {high} | {low} |")

    lines += ["", "| functionality | HateCheck's label | cases | right at 0.5 | right at 0.2 |", "|---|---|---|---|---|"]
    for functionality, description in FUNCTIONALITIES.items():
        rows = [(score, case["label_gold"] == "hateful") for case, score in zip(cases, scores, strict=True)
                if case["functionality"] == functionality]
        right = [_percent(sum((score >= t) == is_hateful for score, is_hateful in rows), len(rows)) for t in THRESHOLDS]
        label = "hateful" if rows[0][1] else "not hateful"
        lines.append(f"| {description} (`{functionality}`) | {label} | {len(rows)} | {right[0]} | {right[1]} |")
    return lines


@pytest.mark.realworld
def test_the_readme_publishes_the_figures_measured_on_hatecheck(realworld):
    lines = measured_tables(realworld)
    readme = README.read_text(encoding="utf-8")
    missing = [line for line in lines if line and line not in readme]
    assert missing == [], "the README's HateCheck figures differ from the measured ones; measured:\n" + "\n".join(lines)


@pytest.mark.realworld
def test_the_score_is_a_profanity_detector_not_an_abuse_detector(realworld):
    """What the README's limits say, held to: profanity drives it, with or without hate."""
    with (realworld / "abuse" / "hatecheck_test_suite_cases.csv").open(encoding="utf-8", newline="") as handle:
        cases = list(csv.DictReader(handle))
    scores = dict(zip((case["case_id"] for case in cases), score_abuse([c["test_case"] for c in cases]), strict=True))

    def flagged(functionality):
        chosen = [scores[c["case_id"]] >= 0.5 for c in cases if c["functionality"] == functionality]
        return sum(chosen) / len(chosen)

    assert flagged("profanity_h") > 0.9 and flagged("profanity_nh") > 0.9  # hate or not, swearing is flagged
    assert flagged("threat_norm_h") < 0.5 and flagged("spell_leet_h") < 0.5  # polite threats and leet pass


# The README's examples of each limit, with the score it quotes.
README_EXAMPLES = {
    "Online abuse is not free speech. Calling someone a stupid bitch is abuse.": "1.00",
    "fucking brilliant night, love you all": "1.00",
    "You should resign before someone makes you": "0.14",
    "nobody would miss you if you were gone": "0.07",
    "I'll snap your neck": "0.06",
    "The world would be better off without you.": "0.02",
    "ta gueule connard": "0.02",
    "cállate idiota": "0.04",
    "halt die Klappe du Idiot": "1.00",
}


def test_the_readmes_examples_score_what_it_says():
    readme = " ".join(README.read_text(encoding="utf-8").split())  # as read, not as wrapped
    scores = score_abuse(list(README_EXAMPLES))
    for (text, quoted), score in zip(README_EXAMPLES.items(), scores, strict=True):
        assert f"{score:.2f}" == quoted, (text, score)
        assert f'"{text}" scores {quoted}' in readme or f'"{text}" {quoted}' in readme, text
