"""Whether a span that NER, or a rule reading only its position, calls a person or a place
can be one by its own words.

The small English model calls capitalised words people and places wherever they stand:
"Click" in a numbered step, "Safe Mode", "Dell", "PyCharm", "Standby Servers" in a book
index, "Type" in a table header, a t.co link, "@AppleSupport". Every word of a span is
looked at, except given names and surnames of the lexicons (curate.pii.lexicon, every Faker
locale, "Will" and "Hunter" included) and forms of address ("Mrs", "Frau"): a person loses
the words at its edges that are, at three letters or more, a common English word (a Zipf
frequency of at least :data:`COMMON_ZIPF` in wordfreq's English list, about three in a
million words), is written like code or a product (an inner capital after lower-case
letters that are no name prefix: "PyCharm", "MrsMaisel", not "McDonald") or is an acronym
(two to five capitals) ("Call Henrietta Vandermolen" is a name a word too long), and is
dropped when nothing is left or such a word stands inside it ("Java Development Kit"); a
person or a place is dropped when the span holds a digit, a URL, an @handle or a #hashtag
(places also lose words written like code at their edges). A name outside the lexicons is still
found when its words are rare in English ("Prasanth", "Yefremova"), which is what a name
outside the lexicons looks like: on presidio-research's set, 2 of the 187 person spans with
no lexicon word have a common word of three letters or more ("Goldberg", "ten Pas").

wordfreq (Robyn Speer's word frequencies, with its data in the package) answers offline.
"""

from __future__ import annotations

import functools

import regex as re

from curate.pii.lexicon import every_name, name_locales

#: wordfreq Zipf frequency from which a word is an ordinary English word (3 is once per
#: million words; "dell" 3.7, "faulty" 3.6, "scrum" 3.3, "prasanth" 1.0)
COMMON_ZIPF = 3.5
#: forms of address and titles, common words that stand in names ("Mrs Patel", "Frau Weber")
TITLES = frozenset(
    """mr mrs ms miss mx dr prof sir madam madame dame lord lady herr frau sr sra srta mme mlle
    don dona doña signor signora sig dott ing rev father sister brother uncle aunt""".split()
)
#: a word left alone when its neighbours were cut must be rarer than this, or a lexicon
#: name ("Ahtisaari" of "ex-Zombie Ahtisaari" is; "Standby" of "Standby Servers" is not)
RARE_ZIPF = 2.5
#: words shorter than this are not looked up (initials, "de", "van" particles)
MIN_LETTERS = 3

#: a word, hyphenated words as one ("ex-Zombie", "Jean-Luc")
_TOKEN = re.compile(r"[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*")
#: punctuation NER runs across between two names ('Heather:"I'm Daniel'), and the blank
#: after a possessive: "Tom Clancy's Jack Ryan" is two, "React Native’s Canary" none
_BREAK = re.compile(r"[:;\"“”()\[\]]|(?<=\p{L}['’]s)[ \t]")
# an inner capital after two or more lower-case letters ("PyCharm" has "yC" after "P",
# so: a capital after a lower-case letter, the part before not a name prefix)
_CAMEL = re.compile(r"\p{Lu}?\p{Ll}+(?=\p{Lu})")
_NAME_PREFIXES = frozenset({"mc", "mac", "de", "di", "da", "la", "le", "van", "von", "o", "d", "st", "du", "del", "dela"})
_NOT_PROSE = re.compile(r"[\d@#/\\_=<>{}\[\]|]|https?:|www\.|\.(?:com|org|net|io|co)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 16)
def common_english(word: str) -> bool:
    """``word`` (any case) is an ordinary English word."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") >= COMMON_ZIPF


def load_word_lists() -> None:
    """Load the name lexicons and wordfreq's English list now (each process, once)."""
    from curate.pii.lexicon import given_names

    every_name()
    given_names()
    common_english("the")


def is_lexicon_word(word: str, *, loose: bool = False) -> bool:
    """A given name or surname of some locale (English words among them: "Mark"); a
    common English word only when two or more locales have it ("Mark", not "Deep"), or
    ``loose``ly, next to another name ("Will Smith")."""
    w = word.lower().strip("'’")
    if w not in every_name():
        return False
    return loose or name_locales(w) >= 2 or not common_english(w)


def _code_like(word: str) -> bool:
    m = _CAMEL.match(word)
    return m is not None and m.end() < len(word) and word[: m.end()].lower() not in _NAME_PREFIXES


def _acronym(word: str) -> bool:
    return 2 <= len(word) <= 5 and word.isupper()


def _bad(token: str, *, common: bool, acronyms: bool, loose: bool = False) -> bool:
    """A word no name is made of (lexicon names and forms of address never are); a
    hyphenated word is bad when a part of it is ("ex-Zombie")."""
    parts = token.split("-")
    if len(parts) > 1:
        return any(_bad(p, common=common, acronyms=acronyms, loose=loose) for p in parts if p)
    w = token[:-2] if token[-2:] in ("'s", "’s") else token  # "Native’s" is "Native"
    if len(w) < 2 or is_lexicon_word(w, loose=loose) or w.lower().strip(".") in TITLES:
        return False
    if _code_like(w):
        return True
    if acronyms and _acronym(w):
        return True
    return common and len(w) >= MIN_LETTERS and common_english(w)


def _rare(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en") < RARE_ZIPF


def documented_person(value: str) -> bool:
    """A person NER found in documentation, where it calls products, commands and headings
    people ("Codegen", "Multirange", "Cygwin"): kept when it is two words or more ("Tom
    Lane", "Zhijie Hou") or a given name or surname of the lexicons ("Julian"). A one-word
    name outside the lexicons is lost this way ("Kokolatos"); ``redact.model.lexicon_kinds``
    says in which records. Two words are not judged so: on the PostgreSQL documentation a
    rule dropping two-word spans with no lexicon word and an English word in them dropped as
    many names ("Amul Sul", "Zelaine Fong") as headings ("Numeric Constants")."""
    words = [p for m in _TOKEN.finditer(value) for p in re.split(r"['’-]", m.group()) if p]
    return len(words) != 1 or words[0].lower() in every_name()


def _core(value: str, base: int, *, common: bool, acronyms: bool) -> tuple[int, int] | None:
    words = list(_TOKEN.finditer(value))
    if not words:
        return None
    loose = any(is_lexicon_word(m.group()) for m in words)
    bad = [_bad(m.group(), common=common, acronyms=acronyms, loose=loose) for m in words]
    i, j = 0, len(words)
    while i < j and bad[i]:
        i += 1
    while j > i and bad[j - 1]:
        j -= 1
    cut = i + len(words) - j
    if i == j or any(bad[i:j]) or i > 1 or len(words) - j > 1 or j - i < cut:
        # nothing left, a word no name holds inside it, or more cut than kept: "Java
        # Development Kit" is not "Kit"
        return None
    if cut:
        left = [m.group() for m in words[i:j]]
        alone = [w for w in left if len(w) >= 2]
        if len(alone) < 2 and not any(is_lexicon_word(w) for w in left) and not all(_rare(w) for w in alone):
            return None  # what is left of "Standby Servers" is no name either
    return base + words[i].start(), base + words[j - 1].end()


def _parts(value: str, *, common: bool, acronyms: bool, trim: bool = True) -> list[tuple[int, int]]:
    if _NOT_PROSE.search(value):
        return []
    out = []
    pos = 0
    for piece in _BREAK.split(value):
        part = _core(piece, pos, common=common, acronyms=acronyms) if piece.strip() else None
        if part is not None and not trim and value[part[0]:part[1]] != piece.strip() and len(
            _TOKEN.findall(value[part[0]:part[1]])
        ) < 2:
            part = None  # a word had to be cut from it and one is left
        if part is not None:
            a, b = part
            if value[b - 2:b] in ("'s", "’s") and b - 2 > a:
                b -= 2  # the possessive stays: "<PERSON_1>'s Jack Ryan"
            out.append((a, b))
        pos += len(piece) + 1
    return out


def person_span(value: str) -> list[tuple[int, int]]:
    """The parts of ``value`` that can be a person's name, as offsets in it: all of it,
    the name in a span NER took a word too far ("Call Henrietta Vandermolen"), the names
    on each side of a colon or quote NER ran across, or none."""
    return _parts(value, common=True, acronyms=True)


def organisation_person_span(value: str) -> list[tuple[int, int]]:
    """The same for what NER called an organisation, taken for a person: a piece that
    needs a word cut and leaves one word is an organisation's name ("Fifth Harmony"); one
    that leaves a full name is a name NER took a word too far ("Call Henrietta
    Vandermolen"); pieces apart from it still count ("Terence Vassiliev's Cautionary
    Tales" gives "Terence Vassiliev")."""
    return _parts(value, common=True, acronyms=True, trim=False)


def place_span(value: str) -> list[tuple[int, int]]:
    """The same for a place. Common words and acronyms are places too ("Turkey", "Reading",
    "UK", "NYC"): only code, URLs, handles and digits are not."""
    return _parts(value, common=False, acronyms=False)


_CODE_PART = re.compile(r"\p{Lu}?\p{Ll}{2,}|\p{Lu}{2,}(?!\p{Ll})")


def code_words(text: str, spans: list[tuple[int, int]]) -> set[str]:
    """The lower-case words the code spans of ``text`` are made of, camelCase and
    snake_case split ("TouchableOpacity" gives "touchable" and "opacity"); hashtags and
    handles are not read."""
    out: set[str] = set()
    for s, e in spans:
        if s and text[s - 1] in "#@":
            continue  # a hashtag or a handle is no code: "#SpotifyInMorocco" leaves Morocco a place
        out.update(m.group().lower() for m in _CODE_PART.finditer(text, s, e))
    return out


def made_of_code(value: str, words: set[str]) -> bool:
    """Every word of ``value`` (three letters or more) is a word of the record's code and no
    name of the lexicons: "Codegen" of `codegenConfig`, "Touchable" of `<TouchableOpacity>`."""
    tokens = [m.group() for m in _CODE_PART.finditer(value)]
    return bool(tokens) and all(t.lower() in words and not is_lexicon_word(t) for t in tokens)
