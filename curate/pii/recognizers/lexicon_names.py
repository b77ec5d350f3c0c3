"""Names found by a position and the name lexicons together (curate.pii.lexicon), in any
case: a name written in lower case or capitals ("thanks ingmar", "-carl", "MARIA LOPEZ"
after a closing), a name alone on the last line of a message, a given name after a word
that introduces a person ("passed to Gillian", "spoke with Kalina"), and a given name
nothing else. In each, the words must be in the lexicons and not
English words, so "Will", "May" or "Best" stay."""

from __future__ import annotations

import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult

from curate.pii.lexicon import english_stop_words, is_given_name, is_name_word, is_surname
from curate.pii.recognizers.base import WORD_MAX
from curate.pii.recognizers.names import NOT_NAMES

_W = rf"[\p{{L}}][\p{{L}}'’]{{0,{WORD_MAX}}}+(?:-[\p{{L}}][\p{{L}}'’]{{0,{WORD_MAX}}}+)?+"
_INIT = r"\p{Lu}\."
#: up to three words (or an initial and a surname)
_NAMEWORDS = rf"(?:{_INIT}[ \t]*+)?{_W}(?:[ \t]++(?:{_INIT}[ \t]++)?{_W}){{0,2}}"
_CLOSING = (
    r"thanks|thank[ \t]++you|thanks[ \t]++again|many[ \t]++thanks|thx|ty|tia|cheers|ta|regards|best[ \t]++regards|"
    r"kind[ \t]++regards|warm[ \t]++regards|best|best[ \t]++wishes|all[ \t]++the[ \t]++best|sincerely|yours|"
    r"yours[ \t]++sincerely|yours[ \t]++truly|take[ \t]++care|talk[ \t]++soon|br|kr|rgds|greetings|merci|danke|gracias|"
    r"grazie|obrigad[oa]|dank[ \t]++je|tack|kiitos|dzięki|děkuji|köszönöm|mulțumesc|teşekkürler|hvala|salutations|"
    r"cordialement|saludos|un[ \t]++saludo|atentamente|cordiali[ \t]++saluti|saluti|pozdrawiam|s[ \t]++pozdravem|"
    r"mit[ \t]++freundlichen[ \t]++grüßen|viele[ \t]++grüße|liebe[ \t]++grüße|grüße|gruß|met[ \t]++vriendelijke[ \t]++groet|"
    r"groeten|mvh|med[ \t]++venlig[ \t]++hilsen|vänliga[ \t]++hälsningar|hälsningar|ystävällisin[ \t]++terveisin|terveisin|"
    r"atenciosamente|abraços|üdvözlettel|cu[ \t]++stimă|saygılarımla|lp|s[ \t]++poštovanjem"
)
_GREETING = (
    r"hi|hello|hey|hiya|dear|morning|evening|good[ \t]++(?:morning|afternoon|evening)|hallo|bonjour|salut|hola|ciao|"
    r"buongiorno|olá|oi|hej|hei|moi|dzień[ \t]++dobry|witam|dobrý[ \t]++den|ahoj|szia|jó[ \t]++napot|bună[ \t]++ziua|"
    r"merhaba|bok|pozdrav|goedemorgen|goedemiddag|beste|liebe|lieber|sehr[ \t]++geehrte[rs]?|cher|chère|estimad[oa]|"
    r"querid[oa]|caro|cara|gentile|kære|kära|hyvä|prezado|prezada|drogi|droga|szanowny|szanowna|vážený|vážená|kedves|dragă|sayın"
)
_INTRO = (
    r"i'm|i[ \t]++am|im|its|it[ \t]++is|this[ \t]++is|my[ \t]++name[ \t]++is|my[ \t]++name's|name's|it's|here[ \t]++is|here's|je[ \t]++suis|"
    r"ich[ \t]++bin|soy|me[ \t]++llamo|sono|mi[ \t]++chiamo|sou|ik[ \t]++ben|jag[ \t]++heter|jeg[ \t]++hedder|olen|"
    r"nazywam[ \t]++się|jmenuji[ \t]++se|benim[ \t]++adım"
)
#: words after which a capitalised given name is a person: handing over, speaking with,
#: copying in ("passed to Gillian", "spoke with Kalina", "cc Carlo")
_BEFORE_PERSON = (
    r"(?:passed|pass|handed|hand|handing|over|escalated|escalate|escalating|transferred|transfer|assigned|assign|forwarded|"
    r"forward|spoke|speak|speaking|talked|talk|talking|reach[ \t]++out|reached[ \t]++out|reaching[ \t]++out|wrote|write|"
    r"writing|replied|reply|sent|send|sending|introduced|introduce|mentioned|explained|said|complained)[ \t]++to|"
    r"(?:spoke|speak|speaking|talked|talk|talking|chatted|chat|met|meeting|checked|check|checking|worked|working|"
    r"spoken|dealt|dealing|shared|chatting)[ \t]++with|"
    r"(?:call|callback|call[ \t]++back|message|e-?mail|note|voicemail|shout-?out|request|reply|ticket)[ \t]++(?:from|to|with|for)|"
    r"asked|ask|told|tell|ping|pinged|cc|cc'd|emailed|thanked|thank|loop[ \t]++in|looped[ \t]++in|"
    r"copied|copying|texted|messaged|invited|helped|notified"
)
_RELATION = (
    r"(?:my|our|his|her|their|your)[ \t]++(?:colleague|coworker|co-worker|manager|boss|supervisor|assistant|wife|husband|"
    r"partner|son|daughter|friend|brother|sister|mother|father|mum|mom|dad|accountant|contact)"
)

#: thanks in any position ("Thanks Ingmar", "cheers susan"): only the words of thanks,
#: not "best" or "regards", which stand mid-sentence ("the one that best suits")
_THANKS_WORDS = (
    r"thanks|thank[ \t]++you(?:[ \t]++(?:so|very)[ \t]++much)?|thanks[ \t]++(?:so|very)[ \t]++much|thanks[ \t]++again|many[ \t]++thanks|thx|tia|cheers|merci|danke|gracias|grazie|obrigad[oa]|"
    r"dank[ \t]++je|tack|kiitos|dzięki|děkuji|köszönöm|mulțumesc|teşekkürler|hvala"
)
#: a greeting or closing on its own ("Mit freundlichen Grüßen,", "Thx,"): never a name
GREETING_OR_CLOSING = re.compile(rf"(?i:{_CLOSING}|{_GREETING}|{_THANKS_WORDS})[ \t]*+[,.!]?")
_THANKS = re.compile(rf"(?<![\p{{L}}])(?i:{_THANKS_WORDS})(?![\p{{L}}])[ \t]*+[,!\-–—]?[ \t]*+(?P<v>{_NAMEWORDS})(?=[ \t.,!;:)\n\-–—]|$)")
_GREET = re.compile(rf"(?<![\p{{L}}])(?i:{_GREETING})(?:[ \t]++(?i:there|again))?[ \t]++(?P<v>{_NAMEWORDS})(?=[ \t]*+(?:[.,!;:\n\-–—]|$))")
#: form fields ("Contact person: sonja hermansen", "Name: TERRY REYNOLDS")
_FORM = re.compile(
    rf"(?im)^[ \t>]*+(?:name|full[ \t]++name|contact[ \t]++person|contact[ \t]++name|customer[ \t]++name|account[ \t]++holder|"
    rf"card[ \t]*+holder|name[ \t]++on[ \t]++card|requester|requested[ \t]++by|submitted[ \t]++by|caller|customer)"
    rf"[ \t]*+:[ \t]*+(?P<v>{_NAMEWORDS})[ \t]*+$"
)
_INTRO_RE = re.compile(rf"(?<![\p{{L}}])(?i:{_INTRO})[ \t]++(?P<v>{_NAMEWORDS})")
#: "-Carl", "~philippine", "^AB", "-- Carl", "— Carl" closing a line; a hyphen and a blank
#: ("- Carl", a list item elsewhere) only on the last line of the text
_DASH = re.compile(
    rf"(?m)(?:(?:^|(?<=[ \t]))(?:[-~^](?=\p{{L}})|--|–|—)[ \t]*+(?P<v>{_NAMEWORDS})[ \t]*+$"
    rf"|(?:^|(?<=[ \t]))-[ \t]++(?P<v>{_NAMEWORDS})[ \t]*+(?:\n[ \t]*+)*+\Z)"
)
_LAST_LINE = re.compile(rf"(?:^|\n)[ \t>]*+(?P<v>{_NAMEWORDS})[ \t]*+[.!]?[ \t]*+(?:\n[ \t]*+)*+\Z")
#: the name line under a signature delimiter ("-- ", "---", "____"), in any case
_SIGNATURE = re.compile(rf"(?m)^[ \t>]*+(?:--|---|_{{3,40}}+)[ \t]*+\n(?:[ \t>]*+\n)*+[ \t>]*+(?P<v>{_NAMEWORDS})[ \t]*+$")
_AFTER_CLOSING = re.compile(
    rf"(?im)^[ \t>]*+(?:{_CLOSING})[ \t]*+[,.!]?[ \t]*+\n(?:[ \t>]*+\n)*+[ \t>]*+(?P<v>{_NAMEWORDS})[ \t]*+$"
)
_CAP = rf"\p{{Lu}}(?:[\p{{Ll}}'’\-]{{1,{WORD_MAX}}}+|[\p{{Lu}}'’\-]{{2,{WORD_MAX}}}+)"
_MENTION = re.compile(rf"(?<![\p{{L}}])(?i:{_BEFORE_PERSON})[ \t]++(?P<v>{_W}(?:[ \t]++{_W})?)")
#: a given name opening a clause and doing something: "Lars will follow up", "Faye thinks",
#: "rossana from finance will send"
_SUBJECT = re.compile(
    rf"(?:^|(?<=[.!?,;:][ \t])|(?<=\n))[ \t>]*+(?P<v>{_W}(?:[ \t]++{_W})?)[ \t]++(?=(?i:will|would|thinks|think|said|says|from|"
    rf"in[ \t]++tier|has|had|approved|confirmed|reported|mentioned|asked|told|called|wrote|already|can|could|should|is[ \t]++"
    rf"(?:on|out|away|handling|looking|back))(?![\p{{L}}]))"
)
_RELATION_RE = re.compile(rf"(?<![\p{{L}}])(?i:{_RELATION})(?:[ \t]*+,)?[ \t]++(?P<v>{_NAMEWORDS})")
#: "Sorry to hear that, Kristian." / "ok, ingmar!"
_VOCATIVE = re.compile(rf",[ \t]++(?P<v>{_W}(?:[ \t]++{_W})?)[ \t]*+(?=[.!?]|$|\n)")
#: a title of address, then the name: "Frau Müller", "Sr. García", "Mme Dubois"
_HONORIFIC = re.compile(
    rf"(?<![\p{{L}}])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Frau|Herr|Hr|Fr|Señor|Señora|Sr|Sra|Srta|Don|Doña|Monsieur|Madame|Mme|Mlle|"
    rf"Signor|Signora|Sig|Pan|Pani|Heer|Mevrouw|Dhr|Mevr|Fru|Herra|Rouva|Úr|Dna|Dl|Bay|Bayan|Gospodin|Gospođa)\.?[ \t]++"
    rf"(?P<v>{_CAP}(?:[ \t]++{_CAP})?)"
)
_WORDS = re.compile(rf"{_INIT}|[\p{{L}}'’\-]++")
_PLAIN_WORD = re.compile(rf"(?<![\p{{L}}\p{{N}}_@#./-])\p{{L}}[\p{{L}}'’]{{1,{WORD_MAX}}}+(?:-\p{{L}}[\p{{L}}'’]{{0,{WORD_MAX}}}+)?+(?![\p{{L}}\p{{N}}_@/])")


#: the gap of a middle initial between two words: " B ", " A. "
_INITIAL = re.compile(r"[ \t](?P<i>\p{L})\.?[ \t]")


def _strong(word: str) -> bool:
    """A lexicon word that is a name by itself: three letters or more, and no common English
    word unless three or more locales have it as a name."""
    from curate.pii.lexicon import name_locales
    from curate.pii.plausible import common_english

    return len(word) >= 3 and (name_locales(word) >= 3 or not common_english(word))


def _name_words(value: str, *, need_given: bool = False) -> int:
    """How many leading words of ``value`` make a name: every word in the lexicons (an
    initial counts), at least one of them a given name or surname; 0 when none do."""
    n = 0
    found = False
    for i, w in enumerate(value.split()):
        core = w.strip("'’-")
        if core[-2:] in ("'s", "’s"):
            core = core[:-2]  # Tullio's laptop
        if not core or core.lower() in NOT_NAMES:
            break
        if len(core) == 2 and core.endswith(".") and core[0].isupper():
            n = i + 1
            continue
        if len(core) < 3:
            break  # two letters ("AB", "Li") are initials or words as often as names
        ok = is_given_name(core) if (need_given and not found) else is_name_word(core)
        if not ok:
            break
        found = True
        n = i + 1
    return n if found else 0


def _cut(value: str, start: int, n: int) -> tuple[int, int] | None:
    if n == 0:
        return None
    words = list(re.finditer(r"\S++", value))
    return start + words[0].start(), start + words[n - 1].end()


class LexiconNameRecognizer(EntityRecognizer):
    """PERSON where a position and the name lexicons agree."""

    # Scores above NER's 0.85: Presidio keeps one of two results on the same span, the
    # higher; NER's is then dropped as implausible when the name is in lower case, and
    # the rule's finding with it
    POSITIONS = (
        ("thanks", _THANKS, 0.9), ("greeting", _GREET, 0.9), ("introduction", _INTRO_RE, 0.9),
        ("dash_name", _DASH, 0.9), ("after_closing", _AFTER_CLOSING, 0.9), ("last_line", _LAST_LINE, 0.86),
        ("relation", _RELATION_RE, 0.9), ("form_field", _FORM, 0.9), ("signature", _SIGNATURE, 0.9),
    )

    def __init__(self, supported_language: str = "en"):
        super().__init__(supported_entities=["PERSON"], name="LexiconNameRecognizer", supported_language=supported_language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if "PERSON" not in entities:
            return []
        out: list[RecognizerResult] = []
        for rule, pattern, score in self.POSITIONS:
            for m in pattern.finditer(text):
                v = m.group("v")
                if rule == "last_line" and not (
                    "\n" in text[:m.start("v")] and v[:1].isupper() and is_given_name(v.split()[0].strip("'’-"))
                ):
                    continue  # a lone line closing a text of several: a capitalised given name first
                span = _cut(v, m.start("v"), _name_words(v))
                if span:
                    out.append(self._result(span, score, rule))
        for m in _MENTION.finditer(text):
            span = _cut(m.group("v"), m.start("v"), _name_words(m.group("v"), need_given=True))
            if span:
                out.append(self._result(span, 0.86, "mention"))
        for m in _SUBJECT.finditer(text):
            span = _cut(m.group("v"), m.start("v"), _name_words(m.group("v"), need_given=True))
            if span:
                out.append(self._result(span, 0.86, "subject"))
        out += self._full_names(text, nlp_artifacts)
        for m in _HONORIFIC.finditer(text):
            v = m.group("v")
            if not any(w.lower() in NOT_NAMES for w in v.split()):
                out.append(self._result(m.span("v"), 0.86, "honorific"))
        for m in _VOCATIVE.finditer(text):
            span = _cut(m.group("v"), m.start("v"), _name_words(m.group("v"), need_given=True))
            if span:
                out.append(self._result(span, 0.86, "vocative"))
        return out

    def _full_names(self, text: str, nlp_artifacts) -> list[RecognizerResult]:
        """A given name and a surname side by side, anywhere and in any case
        ("follow up with patricia desrosiers"): both in the lexicons, neither an English
        word a few locales have as a name, and not inside what NER calls a place or an
        organisation ("Victoria Station" is not read: "station" is no surname)."""
        words = list(_PLAIN_WORD.finditer(text))
        if len(words) < 2:
            return []
        ents = [(e.start_char, e.end_char) for e in (nlp_artifacts.entities if nlp_artifacts is not None else [])
                if e.label_ in ("LOCATION", "GPE", "LOC", "ORGANIZATION", "ORG", "NRP")]
        out = []
        i = 0
        while i + 1 < len(words):
            a, b = words[i], words[i + 1]
            gap = text[a.end():b.start()]
            m = _INITIAL.fullmatch(gap)
            if m is not None and self._initialled(a.group(), m.group("i"), b.group()):
                rule = "initialled_name"
            elif (gap in (" ", "\t") and is_given_name(a.group()) and is_surname(b.group())
                    and _strong(a.group()) and _strong(b.group())):
                rule = "full_name"
            else:
                rule = None
            if rule and not any(s < b.end() and e > a.start() for s, e in ents):
                out.append(self._result((a.start(), b.end()), 0.86, rule))
                i += 2
                continue
            i += 1
        return out

    @staticmethod
    def _initialled(first: str, initial: str, last: str) -> bool:
        """A given name, a middle initial and a surname: "Elita B Desaulniers", "Vide A.
        Persson", "benjamin a seiler". Capitalised, the three are a name when neither word
        is an English word, code or an acronym (curate.pii.plausible; "Szabina J
        Gelencsér", not "Galaxy S Ultra"); in lower case the first must be a given name
        of the lexicons and the last a surname there or no English word ("leidy t
        muris", not "give maria a call")."""
        from curate.pii.plausible import person_span

        if len(first) < 2 or len(last) < 3:
            return False
        if first[0].isupper() and initial.isupper() and last[0].isupper():
            if first.isupper() or last.isupper():
                return False  # "JOHN A SMITH" is read by the capitals rules, "USB A PORT" is none
            value = f"{first} {initial}. {last}"
            return person_span(value) == [(0, len(value))]
        if first.islower() and initial.islower() and last.islower() and initial != "i":
            return (is_given_name(first) and _strong(first) and _strong(last) and last not in english_stop_words()
                    and (is_surname(last) or len(last) >= 4))
        return False

    def _result(self, span: tuple[int, int], score: float, rule: str) -> RecognizerResult:
        return RecognizerResult(
            "PERSON", span[0], span[1], score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "rule": rule,
            },
        )
