"""Language: which language an article is written in, and what to call it.

A brief is written in one language (`--language`, English by default). Sources in
other languages are still sources: with a model, their claims are written in the
brief's language while the evidence stays verbatim in the original; the extractive
backend cannot translate, so it keeps the original and the brief marks it. Both
need to know each article's language, which is detected from its text with
py3langid (a naive Bayes model over byte n-grams: deterministic, offline, fast).
The page's own `lang` attribute is not trusted: templates set it site-wide.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefing.contracts import Article

__all__ = [
    "DEFAULT_LANGUAGE",
    "detect_language",
    "is_foreign",
    "language_name",
    "normalise_language",
    "with_languages",
]

DEFAULT_LANGUAGE = "en"
MIN_CONFIDENCE = 0.6
"""Below this probability the language is reported as unknown rather than guessed."""
_SAMPLE_CHARS = 3000
_MIN_CHARS = 40

_NAMES = {
    "ar": "Arabic",
    "bg": "Bulgarian",
    "ca": "Catalan",
    "cs": "Czech",
    "cy": "Welsh",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "ga": "Irish",
    "gl": "Galician",
    "gu": "Gujarati",
    "he": "Hebrew",
    "hi": "Hindi",
    "hr": "Croatian",
    "hu": "Hungarian",
    "id": "Indonesian",
    "is": "Icelandic",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "ms": "Malay",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "sw": "Swahili",
    "te": "Telugu",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh": "Chinese",
}


@functools.cache
def _identifier() -> Any:
    # Loading the model takes most of a second, so it happens once, and only when needed.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of the language `text` is written in, or None when unsure."""
    sample = text[:_SAMPLE_CHARS]
    if len(sample.strip()) < _MIN_CHARS:
        return None
    code, probability = _identifier().classify(sample)
    return str(code) if probability >= MIN_CONFIDENCE else None


def with_languages(articles: Sequence[Article]) -> list[Article]:
    """The articles, each with the language detected from its text (None when unsure).

    A step of its own in the pipeline, after syndicated copies are folded: a copy that is
    only listed under its original is never extracted, so its language is never needed.
    """
    return [article.model_copy(update={"language": detect_language(article.text)}) for article in articles]


def is_foreign(code: str | None, language: str) -> bool:
    """Whether text in `code` is in another language than `language` (the brief's).

    A text whose language could not be detected counts as the brief's: it is neither
    asked to be translated nor marked as untranslated.
    """
    return code is not None and code != language


def language_name(code: str) -> str:
    """'fr' -> 'French'; a code without a known name is shown as itself."""
    return _NAMES.get(code.lower(), code)


def normalise_language(value: str) -> str:
    """A `--language` value ('en', 'EN', 'English', 'fr-CA') -> its two-letter code.

    Raises:
        ValueError: Not a language this table knows (the message lists the form expected).
    """
    key = value.strip().replace("_", "-").split("-")[0].lower()
    if key in _NAMES:
        return key
    by_name = {name.lower(): code for code, name in _NAMES.items()}
    if key in by_name:
        return by_name[key]
    raise ValueError(f"{value!r} is not a known language; use a two-letter code such as en, fr or de")
