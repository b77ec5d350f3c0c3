"""Given names and surnames of many countries, from the person providers of Faker's
locales (Faker is a dependency already, for pseudonyms). The name rules use them where a
position alone is not enough: a lone word at the end of a message, "-carl", "thanks
ingmar", an all-caps signature. A word is only ever a name here in such a position or
next to another lexicon name, never because it is in the list: "Will" and "May" are
given names and English words."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from pathlib import Path

#: English words that are also given names or surnames in some locale; never taken for a
#: name on the lexicon's word alone (a rule with a stronger position may still find them)
ENGLISH_WORDS = frozenset(
    """
    will may june april august summer autumn winter spring rose lily daisy iris ivy holly hope faith grace joy
    mark bill pat sue rob dawn eve guy art jack jay ray max sky star king page park long young white brown black
    green gray grey wood woods hill hills field fields stone waters rivers lake bush bird fox wolf cook baker
    miller smith taylor hunter porter carter mason bishop dean major price rich gay hale hardy little love
    may chase chance sterling case cash lane ward west north south east ash bay bell bond brook burns cross
    frank free gold hall hart hay hood house hunt john may moon moss nash noble north oak pond post power pride
    read reed rice rock rush sharp short snow strong swift vale wall welch wise worth york cole cliff clay
    don dick del van von den der la le de da di du el al bo ho an li lo ma mo na ne no so to do go be me we he
    she it is as at by in of on or up us yes best care good well thanks cheers regards team support admin
    sales billing help service customer client user guest test demo sample example
    ruby julia swift hermes metro python java rust dart flutter expo jest node deno kotlin scala perl elixir
    crystal apache jenkins maven gradle android chrome safari opera edge firefox list link true false null
    """.split()
)


@functools.lru_cache(maxsize=1)
def _raw_lexicons() -> tuple[frozenset[str], frozenset[str], dict[str, int]]:
    """Given names, surnames, and in how many locales each word is a name."""
    import faker.providers.person as person

    given: set[str] = set()
    surnames: set[str] = set()
    locales: dict[str, int] = {}
    for mod in pkgutil.iter_modules(person.__path__):
        try:
            provider = importlib.import_module(f"faker.providers.person.{mod.name}").Provider
        except (ImportError, AttributeError):
            continue
        seen: set[str] = set()
        for attr, into in (("first_names", given), ("first_names_male", given), ("first_names_female", given),
                           ("first_names_nonbinary", given), ("first_romanized_names", given),
                           ("first_romanized_names_male", given), ("first_romanized_names_female", given),
                           ("last_names", surnames), ("last_names_male", surnames), ("last_names_female", surnames),
                           ("last_romanized_names", surnames)):
            names = getattr(provider, attr, None)
            if isinstance(names, dict):
                names = names.keys()
            elif not isinstance(names, (list, tuple, set, frozenset)):
                continue  # a property some providers compute from others
            for n in names:
                if isinstance(n, str) and len(n) >= 2 and " " not in n:
                    into.add(n.lower())
                    seen.add(n.lower())
        for n in seen:
            locales[n] = locales.get(n, 0) + 1
    return frozenset(given), frozenset(surnames), locales


@functools.lru_cache(maxsize=1)
def english_stop_words() -> frozenset[str]:
    """spaCy's English stop words ("the", "said", "a")."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@functools.lru_cache(maxsize=1)
def _lexicons() -> tuple[frozenset[str], frozenset[str]]:
    given, surnames, locales = _raw_lexicons()
    # "an", "can", "more", "will" are names somewhere and words here; so are "Sie", "dass"
    # and "das" in German texts: a stop word of another language stays a name only where
    # three or more locales have it ("Hans", "Tom", "Sara", not "Sie")
    foreign = {w for w in _foreign_stop_words() if locales.get(w, 0) < MIN_LOCALES_FOR_STOP_WORD}
    drop = english_stop_words() | foreign
    return frozenset(given - drop), frozenset(surnames - drop)


#: spaCy's stop-word lists read for the rule above (languages support text is written in)
STOP_WORD_LANGUAGES = ("de", "fr", "es", "pt", "it", "nl", "sv", "da", "nb", "pl", "cs")
MIN_LOCALES_FOR_STOP_WORD = 3


def _foreign_stop_words() -> set[str]:
    """spaCy's stop-word lists, each read from its own file: importing ``spacy.lang.de``
    and the others loads their whole language data (4 s of CPU for the eleven)."""
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return set()
    root = Path(next(iter(spec.submodule_search_locations))) / "lang"
    out: set[str] = set()
    for lang in STOP_WORD_LANGUAGES:
        path = root / lang / "stop_words.py"
        if not path.is_file():
            continue
        mod_spec = importlib.util.spec_from_file_location(f"_curate_stop_words_{lang}", path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        out |= {w.lower() for w in getattr(module, "STOP_WORDS", ())}
    return out


@functools.lru_cache(maxsize=1)
def every_name() -> frozenset[str]:
    """Every lower-case given name and surname of the lexicons, English words such as
    "will" and "mark" included: a word that may be part of a name."""
    given, surnames, _ = _raw_lexicons()
    return given | surnames


def given_names() -> frozenset[str]:
    """Lower-case given names of every Faker locale."""
    return _lexicons()[0]


def surnames() -> frozenset[str]:
    """Lower-case surnames of every Faker locale."""
    return _lexicons()[1]


def is_given_name(word: str) -> bool:
    w = word.lower()
    return w in _lexicons()[0] and w not in ENGLISH_WORDS


def is_surname(word: str) -> bool:
    w = word.lower()
    return w in _lexicons()[1] and w not in ENGLISH_WORDS


def is_name_word(word: str) -> bool:
    w = word.lower()
    given, sur = _lexicons()
    return (w in given or w in sur) and w not in ENGLISH_WORDS


def name_locales(word: str) -> int:
    """In how many Faker locales ``word`` is a given name or surname."""
    return _raw_lexicons()[2].get(word.lower(), 0)
