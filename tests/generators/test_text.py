"""Behaviour specific to the text generators, on real chest X-ray reports."""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from robustmed.data.spec import ModalityKind, ModalitySpec
from robustmed.generators import build_generator, sample_keys
from robustmed.generators.text import clinical_abbreviations, flip_negation, keyboard_neighbours
from tests.generators.cases.sequences import string_input

TEXT_SPEC = ModalitySpec("notes", ModalityKind.TEXT, (), dtype=None)


def _apply(name, texts, level, seed=0):
    ids = [f"t{i}" for i in range(len(texts))]
    keys = sample_keys(seed, name, ids)
    return build_generator(name)(texts, torch.ones(len(texts), dtype=torch.bool), level, keys, TEXT_SPEC)


@pytest.fixture(scope="module")
def reports():
    return string_input("text").values


def test_abbreviation_list_is_shipped():
    pairs = dict(clinical_abbreviations())
    assert len(pairs) > 50
    assert pairs["COPD"] == "chronic obstructive pulmonary disease"


def test_abbreviations_expand_and_contract():
    text = "PA and lateral views. History of chronic obstructive pulmonary disease."
    result = _apply("text_abbreviation", [text], 5.0).values[0]
    assert result == "posteroanterior and lateral views. h/o COPD."


def test_abbreviations_respect_word_boundaries():
    text = "CTA and PAs are unchanged."
    assert _apply("text_abbreviation", [text], 5.0).values[0] == text


@pytest.mark.parametrize(
    ("sentence", "flipped"),
    [
        ("There is no pneumothorax.", "There is pneumothorax."),
        ("The lungs are clear.", "The lungs are not clear."),
        ("Basilar atelectasis.", "No basilar atelectasis."),
        ("No acute disease.", "Acute disease."),
        ("None.", "None."),
    ],
)
def test_negation_flip(sentence, flipped):
    assert flip_negation(sentence) == flipped


def test_negation_keeps_section_headers(reports):
    result = _apply("text_negation", reports, 5.0).values
    for clean, perturbed in zip(reports, result, strict=True):
        headers = re.findall(r"^[A-Z]+:", clean, re.MULTILINE)
        assert re.findall(r"^[A-Z]+:", perturbed, re.MULTILINE) == headers


def test_section_deletion_removes_whole_sections(reports):
    result = _apply("text_section_deletion", reports, 5.0).values
    removed = 0
    for clean, perturbed in zip(reports, result, strict=True):
        clean_sections = re.split(r"\n(?=[A-Z]+:)", clean)
        kept = re.split(r"\n(?=[A-Z]+:)", perturbed) if perturbed else []
        assert all(section in clean_sections for section in kept)
        removed += len(clean_sections) - len(kept)
    assert removed > 0


def test_sentence_drop_keeps_remaining_sentences_in_order(reports):
    result = _apply("text_sentence_drop", reports, 3.0).values
    for clean, perturbed in zip(reports, result, strict=True):
        position = 0
        for word in perturbed.split():
            position = clean.find(word, position)
            assert position >= 0


def test_truncation_keeps_a_prefix(reports):
    for clean, perturbed in zip(reports, _apply("text_truncation", reports, 4.0).values, strict=True):
        assert clean.startswith(perturbed)
        assert len(perturbed) < len(clean)


def test_copy_forward_appends_existing_sentences(reports):
    from robustmed.generators.text import _body_sentences

    copied_any = False
    for clean, perturbed in zip(reports, _apply("text_copy_forward", reports, 5.0).values, strict=True):
        assert perturbed.startswith(clean)
        appended = perturbed[len(clean) :].strip()
        # The appended paragraph is clean sentences in their original order.
        for start, stop in _body_sentences(clean):
            sentence = clean[start:stop].strip()
            if appended.startswith(sentence):
                appended = appended[len(sentence) :].lstrip()
                copied_any = True
        assert appended == ""
    assert copied_any


def test_numbers_change_and_words_stay():
    text = "Give 12.5 mg twice daily; nodule of 3 mm."
    result = _apply("text_numbers", [text], 5.0).values[0]
    numbers = re.findall(r"\d+(?:\.\d+)?", result)
    assert len(numbers) == 2
    assert numbers[0] != "12.5"
    assert numbers[0].count(".") == 1
    assert len(numbers[0].split(".")[1]) == 1
    assert numbers[1] != "3"
    assert re.sub(r"\d+(?:\.\d+)?", "#", result) == "Give # mg twice daily; nodule of # mm."


def test_typos_use_neighbouring_keys():
    neighbours = keyboard_neighbours()
    assert set(neighbours["s"]) >= {"a", "d", "w", "x"}
    text = "a" * 2000
    result = _apply("text_typos", [text], 4.0).values[0]
    assert set(result) <= set("a" + neighbours["a"])


def test_typo_rate_matches_ladder():
    text = "pneumothorax " * 200
    result = _apply("text_typos", [text], 3.0).values[0]
    rate = build_generator("text_typos").ladder.value(3.0)
    from rapidfuzz.distance import Levenshtein

    edits = Levenshtein.distance(text, result)
    letters = sum(c.isalnum() for c in text)
    assert edits / letters == pytest.approx(rate, rel=0.25)


def test_ocr_confusions_are_known_pairs():
    text = "modern clinic 1001 OS"
    result = _apply("text_ocr", [text], 5.0).values[0]
    assert result != text
    assert "rn" in result or "m" not in result


def test_missing_segment_deletes_a_word_span(reports):
    result = _apply("missing_segment", reports, 3.0).values
    for clean, perturbed in zip(reports, result, strict=True):
        words, kept = clean.split(" "), perturbed.split(" ")
        removed = len(words) - len(kept)
        assert removed > 0
        start = next(i for i in range(len(kept) + 1) if i == len(kept) or words[i] != kept[i])
        assert words[:start] + words[start + removed :] == kept


def test_non_string_input_rejected():
    keys = sample_keys(0, "text_typos", ["a"])
    with pytest.raises(TypeError, match="needs a list of strings"):
        build_generator("text_typos")(torch.zeros(1, 3), torch.ones(1, dtype=torch.bool), 1.0, keys, TEXT_SPEC)


TEXT_NAMES = [
    "text_typos", "text_ocr", "text_abbreviation", "text_negation", "text_section_deletion",
    "text_sentence_drop", "text_truncation", "text_copy_forward", "text_numbers", "missing_segment",
]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(TEXT_NAMES),
    texts=st.lists(st.text(max_size=200), min_size=1, max_size=4),
    level=st.floats(0.0, 5.0),
)
def test_any_text_gives_strings(name, texts, level):
    result = _apply(name, texts, level)
    assert isinstance(result.values, list)
    assert len(result.values) == len(texts)
    assert all(isinstance(t, str) for t in result.values)
    assert texts == list(texts)
