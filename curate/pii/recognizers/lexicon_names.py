"""Names found by a position and the name lexicons together (curate.pii.lexicon), in any
case: a name written in lower case or capitals ("thanks ingmar", "-carl", "MARIA LOPEZ"
after a closing), a name alone on the last line of a message, a given name after a word
that introduces a person ("passed to Gillian", "spoke with Kalina"), and a given name
followed by a surname anywhere. In each, the words must be in the lexicons and not
English words, so "Will", "May" or "Best" stay."""

from __future__ import annotations

import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult

from curate.pii.lexicon import is_given_name, is_name_word, is_surname
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
_BEFORE_PERSON = (
    r"to|with|from|by|and|asked|ask|told|tell|called|call|ping|pinged|cc|cc'd|contacted|contact|emailed|email|thanked|"
    r"via|per|spoke|speak|talked|talk|met|helped|forwarded|transferred|escalated|assigned|handed|passed|reach|reached|"
    r"colleague|coworker|manager|supervisor|agent|technician|tech|rep|representative|copied|looped[ \t]++in|loop[ \t]++in|"
    r"thanks|thank"
)
_RELATION = (
    r"(?:my|our|his|her|their|your)[ \t]++(?:colleague|coworker|co-worker|manager|boss|supervisor|assistant|wife|husband|"
    r"partner|son|daughter|friend|brother|sister|mother|father|mum|mom|dad|accountant|contact)"
)

_THANKS = re.compile(rf"(?<![\p{{L}}])(?i:{_CLOSING})[ \t]*+[,!\-–—]?[ \t]*+(?P<v>{_NAMEWORDS})(?=[ \t.,!;:)\n\-–—]|$)")
_GREET = re.compile(rf"(?<![\p{{L}}])(?i:{_GREETING})(?:[ \t]++(?i:there|again))?[ \t]++(?P<v>{_NAMEWORDS})(?=[ \t]*+(?:[.,!;:\n\-–—]|$))")
_INTRO_RE = re.compile(rf"(?<![\p{{L}}])(?i:{_INTRO})[ \t]++(?P<v>{_NAMEWORDS})")
_DASH = re.compile(rf"(?m)(?:^|(?<=[ \t]))(?:-{{1,2}}|–|—|~|\^)[ \t]*+(?P<v>{_NAMEWORDS})[ \t]*+$")
_LAST_LINE = re.compile(rf"(?:^|\n)[ \t>]*+(?P<v>{_NAMEWORDS})[ \t]*+[.!]?[ \t]*+(?:\n[ \t]*+)*+\Z")
_AFTER_CLOSING = re.compile(
    rf"(?im)^[ \t>]*+(?:{_CLOSING})[ \t]*+[,.!]?[ \t]*+\n(?:[ \t>]*+\n)*+[ \t>]*+(?P<v>{_NAMEWORDS})[ \t]*+$"
)
_CAP = rf"\p{{Lu}}(?:[\p{{Ll}}'’\-]{{1,{WORD_MAX}}}+|[\p{{Lu}}'’\-]{{2,{WORD_MAX}}}+)"
_MENTION = re.compile(rf"(?<![\p{{L}}])(?i:{_BEFORE_PERSON})[ \t]++(?P<v>{_CAP}(?:[ \t]++{_CAP})?)")
_RELATION_RE = re.compile(rf"(?<![\p{{L}}])(?i:{_RELATION})(?:[ \t]*+,)?[ \t]++(?P<v>{_NAMEWORDS})")
#: "Sorry to hear that, Kristian." / "ok, ingmar!"
_VOCATIVE = re.compile(rf",[ \t]++(?P<v>{_W}(?:[ \t]++{_W})?)[ \t]*+(?=[.!?]|$|\n)")
_FULL = re.compile(
    rf"(?<![\p{{L}}\p{{N}}_.@/\\-])(?P<g>\p{{Lu}}[\p{{Ll}}'’\-]{{1,{WORD_MAX}}}+)[ \t]++(?P<s>\p{{Lu}}[\p{{Ll}}'’\-]{{1,{WORD_MAX}}}+)(?![\p{{L}}\p{{N}}_@])"
)
#: a title of address, then the name: "Frau Müller", "Sr. García", "Mme Dubois"
_HONORIFIC = re.compile(
    rf"(?<![\p{{L}}])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Frau|Herr|Hr|Fr|Señor|Señora|Sr|Sra|Srta|Don|Doña|Monsieur|Madame|Mme|Mlle|"
    rf"Signor|Signora|Sig|Pan|Pani|Heer|Mevrouw|Dhr|Mevr|Fru|Herra|Rouva|Úr|Dna|Dl|Bay|Bayan|Gospodin|Gospođa)\.?[ \t]++"
    rf"(?P<v>{_CAP}(?:[ \t]++{_CAP})?)"
)
_WORDS = re.compile(rf"{_INIT}|[\p{{L}}'’\-]++")


def _name_words(value: str, *, need_given: bool = False) -> int:
    """How many leading words of ``value`` make a name: every word in the lexicons (an
    initial counts), at least one of them a given name or surname; 0 when none do."""
    n = 0
    found = False
    for i, w in enumerate(value.split()):
        core = w.strip("'’-")
        if not core or core.lower() in NOT_NAMES:
            break
        if len(core) == 2 and core.endswith(".") and core[0].isupper():
            n = i + 1
            continue
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

    POSITIONS = (
        ("thanks", _THANKS, 0.8), ("greeting", _GREET, 0.8), ("introduction", _INTRO_RE, 0.8),
        ("dash_name", _DASH, 0.8), ("after_closing", _AFTER_CLOSING, 0.8), ("last_line", _LAST_LINE, 0.7),
        ("relation", _RELATION_RE, 0.75),
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
                span = _cut(m.group("v"), m.start("v"), _name_words(m.group("v")))
                if span:
                    out.append(self._result(span, score, rule))
        for m in _MENTION.finditer(text):
            span = _cut(m.group("v"), m.start("v"), _name_words(m.group("v"), need_given=True))
            if span:
                out.append(self._result(span, 0.6, "mention"))
        for m in _HONORIFIC.finditer(text):
            v = m.group("v")
            if not any(w.lower() in NOT_NAMES for w in v.split()):
                out.append(self._result(m.span("v"), 0.75, "honorific"))
        for m in _VOCATIVE.finditer(text):
            span = _cut(m.group("v"), m.start("v"), _name_words(m.group("v"), need_given=True))
            if span:
                out.append(self._result(span, 0.7, "vocative"))
        for m in _FULL.finditer(text):
            if is_given_name(m.group("g")) and is_surname(m.group("s")):
                out.append(self._result(m.span(), 0.6, "full_name"))
        return out

    def _result(self, span: tuple[int, int], score: float, rule: str) -> RecognizerResult:
        return RecognizerResult(
            "PERSON", span[0], span[1], score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                "rule": rule,
            },
        )
