"""Text generators for reports and notes: typing and OCR errors, abbreviations,
negation, lost sections and sentences, copy-forward and number errors.

Values are lists of strings. Sentences end at ``.``, ``!``, ``?`` or a line break;
a report section is a line that starts with an upper-case header such as
``FINDINGS:``. Every generator works on plain text in any language that uses the
Latin alphabet, but the negation rules and the abbreviation list are English.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

import numpy as np

from robustmed.data.spec import ModalityKind
from robustmed.generators._strings import StringGenerator, truncation_length

TEXT = frozenset({ModalityKind.TEXT})

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)
_HEADER = re.compile(r"^[A-Z][A-Z /&-]{1,40}:", re.MULTILINE)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]\d)")

_QWERTY_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


@cache
def keyboard_neighbours() -> dict[str, str]:
    """Keys adjacent to each letter and digit on a US QWERTY keyboard (same or adjacent row)."""
    position = {key: (r, c) for r, row in enumerate(_QWERTY_ROWS) for c, key in enumerate(row)}
    neighbours = {}
    for key, (r, c) in position.items():
        near = [
            other
            for other, (r2, c2) in position.items()
            if other != key and abs(r - r2) <= 1 and abs((c + 0.5 * r) - (c2 + 0.5 * r2)) <= 1.0
        ]
        neighbours[key] = "".join(near)
    return neighbours


# Confusions typical of OCR on printed text, longest first so "rn" wins over "r".
OCR_CONFUSIONS = (
    ("rn", "m"), ("cl", "d"), ("vv", "w"), ("m", "rn"), ("d", "cl"), ("w", "vv"),
    ("l", "1"), ("1", "l"), ("I", "l"), ("O", "0"), ("0", "O"), ("S", "5"), ("5", "S"),
    ("B", "8"), ("8", "B"), ("e", "c"), ("c", "e"), ("h", "b"), ("u", "v"), ("a", "o"),
    ("g", "q"), ("t", "f"), (".", ","), (",", "."),
)


@cache
def clinical_abbreviations() -> tuple[tuple[str, str], ...]:
    """(abbreviation, expansion) pairs shipped in ``generators/data/clinical_abbreviations.tsv``."""
    text = resources.files("robustmed.generators").joinpath("data/clinical_abbreviations.tsv").read_text()
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.DictReader(rows, delimiter="\t")
    return tuple((row["abbreviation"], row["expansion"]) for row in reader)


def _sentences(text: str) -> list[re.Match]:
    return [m for m in _SENTENCE.finditer(text) if m.group().strip()]


def _replace_spans(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, stop, replacement) edits."""
    out, last = [], 0
    for start, stop, replacement in sorted(edits):
        out.append(text[last:start])
        out.append(replacement)
        last = stop
    out.append(text[last:])
    return "".join(out)


class KeyboardTypos(StringGenerator):
    """Typing errors: each letter or digit is mistyped with probability ``rate`` as a
    neighbouring key (60%), dropped (15%), doubled by a neighbour (15%) or swapped with
    the next character (10%)."""

    name = "text_typos"
    kinds = TEXT
    description = "keyboard typos (neighbouring keys, drops, insertions, swaps)"

    def corrupt(self, text, severity, rng):
        neighbours = keyboard_neighbours()
        n = len(text)
        hit = rng.random(n) < severity
        kind = rng.random(n)
        pick = rng.random(n)
        chars = list(text)
        out = []
        i = 0
        while i < n:
            char = chars[i]
            lower = char.lower()
            if not hit[i] or lower not in neighbours:
                out.append(char)
                i += 1
                continue
            near = neighbours[lower]
            typed = near[int(pick[i] * len(near))]
            typed = typed.upper() if char.isupper() else typed
            if kind[i] < 0.60:
                out.append(typed)
            elif kind[i] < 0.75:
                pass
            elif kind[i] < 0.90:
                out.append(char + typed)
            elif i + 1 < n:
                out.append(chars[i + 1] + char)
                i += 1
            else:
                out.append(typed)
            i += 1
        return "".join(out)


class OCRConfusions(StringGenerator):
    """OCR errors: each occurrence of a commonly confused glyph sequence ("rn"/"m",
    "l"/"1", "O"/"0", ...) is misread with probability ``rate``."""

    name = "text_ocr"
    kinds = TEXT
    description = "OCR glyph confusions (rn/m, l/1, O/0, ...)"

    def corrupt(self, text, severity, rng):
        n = len(text)
        u = rng.random(n)
        out, i = [], 0
        while i < n:
            for source, target in OCR_CONFUSIONS:
                if text.startswith(source, i):
                    if u[i] < severity:
                        out.append(target)
                        i += len(source)
                        break
            else:
                out.append(text[i])
                i += 1
                continue
        return "".join(out)


class AbbreviationSwap(StringGenerator):
    """Abbreviation expansion and contraction with the shipped clinical list: each
    abbreviation is expanded, and each expansion contracted, with probability ``rate``."""

    name = "text_abbreviation"
    kinds = TEXT
    description = "clinical abbreviations expanded and expansions contracted"

    @staticmethod
    @cache
    def _pattern() -> tuple[re.Pattern, dict[str, str]]:
        replacement = {}
        alternatives = []
        for abbreviation, expansion in clinical_abbreviations():
            replacement[abbreviation] = expansion
            replacement.setdefault(expansion.lower(), abbreviation)
            alternatives.append(re.escape(abbreviation))
            alternatives.append("(?i:" + re.escape(expansion) + ")")
        alternatives.sort(key=len, reverse=True)
        return re.compile(r"(?<![\w/])(?:" + "|".join(alternatives) + r")(?![\w/])"), replacement

    def corrupt(self, text, severity, rng):
        pattern, replacement = self._pattern()
        matches = list(pattern.finditer(text))
        u = rng.random(len(matches))
        edits = []
        for match, draw in zip(matches, u, strict=True):
            found = match.group()
            target = replacement.get(found) or replacement.get(found.lower())
            if target is not None and draw < severity:
                edits.append((match.start(), match.end(), target))
        return _replace_spans(text, edits)


_NEGATED = re.compile(r"\b(?:no|not|without|negative for)\s+", re.IGNORECASE)
_COPULA = re.compile(r"\b(is|are|was|were)\b(?!\s+(?:no|not)\b)", re.IGNORECASE)


def flip_negation(sentence: str) -> str:
    """Negate an affirmed sentence or affirm a negated one.

    A negation cue ("no", "not", "without", "negative for") is removed; otherwise
    "not" follows the first copula ("The lungs are not clear"), or "No" starts
    the sentence ("No basilar atelectasis."). A sentence "None." stays as it is.
    """
    if re.match(r"\s*none\b", sentence, re.IGNORECASE):
        return sentence
    cue = _NEGATED.search(sentence)
    if cue is not None:
        flipped = sentence[: cue.start()] + sentence[cue.end() :]
        if cue.start() == len(sentence) - len(sentence.lstrip()):
            flipped = flipped[: cue.start()] + flipped[cue.start() : cue.start() + 1].upper() + flipped[cue.start() + 1 :]
        return flipped
    copula = _COPULA.search(sentence)
    if copula is not None:
        return sentence[: copula.end()] + " not" + sentence[copula.end() :]
    stripped = sentence.lstrip()
    lead = sentence[: len(sentence) - len(stripped)]
    if not stripped:
        return sentence
    return f"{lead}No {stripped[0].lower()}{stripped[1:]}"


def _body_sentences(text: str) -> list[tuple[int, int]]:
    """Sentences outside section headers."""
    headers = [(m.start(), m.end()) for m in _HEADER.finditer(text)]
    sentences = []
    for match in _sentences(text):
        start, stop = match.start(), match.end()
        for h_start, h_stop in headers:
            if h_start <= start < h_stop:
                start = h_stop
        if text[start:stop].strip():
            sentences.append((start, stop))
    return sentences


class NegationFlip(StringGenerator):
    """Negation errors: each sentence has a negation cue inserted, or its cue removed,
    with probability ``rate``, which reverses the finding."""

    name = "text_negation"
    kinds = TEXT
    description = "negation cues inserted or removed (findings reversed)"

    def corrupt(self, text, severity, rng):
        spans = _body_sentences(text)
        u = rng.random(len(spans))
        edits = [(a, b, flip_negation(text[a:b])) for (a, b), draw in zip(spans, u, strict=True) if draw < severity]
        return _replace_spans(text, edits)


def _sections(text: str) -> list[tuple[int, int]]:
    """Sections by upper-case headers, or paragraphs (blank-line separated) without headers."""
    starts = [m.start() for m in _HEADER.finditer(text)]
    if not starts:
        return [(m.start(), m.end()) for m in re.finditer(r"(?:.+\n?)+", text)]
    bounds = [*starts, len(text)]
    sections = [(0, starts[0])] if starts[0] > 0 else []
    sections += [(bounds[i], bounds[i + 1]) for i in range(len(starts))]
    return sections


class SectionDeletion(StringGenerator):
    """Lost report sections: each section (header and body) is deleted with probability ``rate``."""

    name = "text_section_deletion"
    kinds = TEXT
    description = "report sections deleted"

    def corrupt(self, text, severity, rng):
        sections = _sections(text)
        u = rng.random(len(sections))
        edits = [(a, b, "") for (a, b), draw in zip(sections, u, strict=True) if draw < severity]
        return _replace_spans(text, edits).strip("\n")


class SentenceDrop(StringGenerator):
    """Dropped sentences: each sentence is deleted with probability ``rate``."""

    name = "text_sentence_drop"
    kinds = TEXT
    description = "sentences dropped"

    def corrupt(self, text, severity, rng):
        spans = _body_sentences(text)
        u = rng.random(len(spans))
        edits = [(a, b, "") for (a, b), draw in zip(spans, u, strict=True) if draw < severity]
        return _replace_spans(text, edits)


class Truncation(StringGenerator):
    """Truncated text: the given fraction (±50% per sample) of characters is cut from the end,
    as a field-length limit or an interrupted transfer does."""

    name = "text_truncation"
    kinds = TEXT
    description = "text truncated at the end"

    def corrupt(self, text, severity, rng):
        return text[: truncation_length(len(text), severity, rng)]


class CopyForward(StringGenerator):
    """Copy-forward: each sentence is, with probability ``rate``, copied again into a
    trailing paragraph, as text carried over from an earlier note."""

    name = "text_copy_forward"
    kinds = TEXT
    description = "sentences duplicated by copy-forward"

    def corrupt(self, text, severity, rng):
        spans = _body_sentences(text)
        u = rng.random(len(spans))
        copied = [text[a:b].strip() for (a, b), draw in zip(spans, u, strict=True) if draw < severity]
        if not copied:
            return text
        return text + "\n" + " ".join(copied)


def perturb_number(token: str, rng_values: np.ndarray) -> str:
    """Scale a number by 2**(±(0.25..1)), or shift its decimal point (one draw in five)."""
    kind, sign, size = rng_values
    value = float(token)
    decimals = len(token.split(".")[1]) if "." in token else 0
    if kind < 0.2:
        factor = 10.0 if sign < 0.5 else 0.1
    else:
        factor = 2.0 ** ((1.0 if sign < 0.5 else -1.0) * (0.25 + 0.75 * size))
    new = value * factor
    text = f"{new:.{decimals}f}" if decimals else str(int(round(new)))
    if text == token:
        text = f"{value + 10.0 ** -decimals:.{decimals}f}" if decimals else str(int(value) + 1)
    return text


class NumberPerturbation(StringGenerator):
    """Wrong numbers (doses, sizes, values): each number is changed with probability ``rate``
    by a factor between 2**0.25 and 2 up or down, or by a misplaced decimal point."""

    name = "text_numbers"
    kinds = TEXT
    description = "numbers (doses, sizes, values) perturbed"

    def corrupt(self, text, severity, rng):
        matches = list(_NUMBER.finditer(text))
        draws = rng.random((len(matches), 4))
        edits = [
            (m.start(), m.end(), perturb_number(m.group(), d[1:]))
            for m, d in zip(matches, draws, strict=True)
            if d[0] < severity
        ]
        return _replace_spans(text, edits)


GENERATORS = (
    KeyboardTypos,
    OCRConfusions,
    AbbreviationSwap,
    NegationFlip,
    SectionDeletion,
    SentenceDrop,
    Truncation,
    CopyForward,
    NumberPerturbation,
)

