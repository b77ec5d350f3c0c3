"""The language of each text the redact stage analyses, so that a NER pipeline reads only
the languages it was trained on. py3langid (97 languages, the model ships with the
package) on the text's prose (code blanked); a text with too few letters to tell, or one
py3langid is unsure of, is ``und`` and is analysed as the configured ``language``."""

from __future__ import annotations

import functools

#: fewer letters than this and the language is not guessed (a greeting, an id, a name)
MIN_LETTERS = 40
#: a guess less probable than this is ``und``
MIN_PROB = 0.8
#: characters read per text
READ_CHARS = 2000
UNDETERMINED = "und"


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str:
    """ISO 639-1 code of ``text``'s language, or ``und``."""
    sample = text[:READ_CHARS]
    if sum(c.isalpha() for c in sample) < MIN_LETTERS:
        return UNDETERMINED
    lang, prob = _identifier().classify(sample)
    return str(lang) if prob >= MIN_PROB else UNDETERMINED
