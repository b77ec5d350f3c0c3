"""Names where support text puts them and NER often misses them: greetings ("Hi Maria,"),
sign-offs ("Thanks,\\nJohn"), email headers ("From: Maria Lopez <...>", "On Monday, John
Smith wrote:"), self-introductions and form fields ("My name is ...", "Name: ..."), chat
transcripts ("[10:32] Maria: ...") and lists of names next to one NER found."""

from __future__ import annotations

import bisect
import itertools
import re as stdre

import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult

from curate.pii.plausible import organisation_person_span, person_span
from curate.pii.recognizers.base import WORD_MAX, RegexRecognizer, Rule

# A capitalised name word: Maria, O'Brien, McDonald, Jean-Luc, Željko; an initial: J.
# Atomic and at most 2 * WORD_MAX + 2 characters: in "A-A-A-..." every capital starts a
# try, and each try must not read (or split) the rest of the run.
_TOK = rf"(?>\p{{Lu}}[\p{{Ll}}\p{{Lu}}'’\-]{{0,{WORD_MAX}}}\p{{Ll}}[\p{{Ll}}'’\-]{{0,{WORD_MAX}}})"
_INITIAL = r"\p{Lu}\.?"
_PARTICLE = r"(?:de|da|di|del|della|der|den|van|von|la|le|du|dos|das|do|bin|ibn|al|el|ten|ter|y|zu)"
NAME = rf"(?:{_TOK})(?:[ \t]++(?:(?:{_INITIAL}|{_PARTICLE})[ \t]++){{0,2}}(?:{_TOK})){{0,2}}"
_TITLE = r"(?:(?i:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Madam)\.?[ \t]++)?"

#: Words that follow a greeting or sit on a sign-off line but are not names.
NOT_NAMES = frozenset(
    """
    team teams there all everyone everybody anyone folks guys gals people friend friends sir sirs madam
    mam maam customer customers support service services sales billing admin admins administrator
    helpdesk desk help it dev devs developer developers engineering ops again both you yall world
    hello hi hey dear thanks thank regards cheers best kind warm sincerely yours team's colleague colleagues
    manager managers staff crew group department dept agent agents user users client clients member
    members partner partners owner owners there's morning afternoon evening night today tomorrow
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december please sorry ok okay yes no great good happy sent from
    my the a an and or in on at for to of with your our their this that these those here again
    subject re fw fwd date name phone email address note notes update status priority category order
    account ticket product version browser os device issue description summary expected actual steps
    reason result total price error warning info debug step question answer hr legal finance
    marketing security privacy compliance accounts payable receivable reception office mobile
    """.split()
) | frozenset(
    # words of shop and app interfaces that NER takes for names ("Cancel Order", "Premium")
    """
    cancel cancelled canceled modify change changes history shipped shipping ship download downloads
    overcharge overcharged premium freemium gold silver platinum bronze pay switch settings setting profile
    cart checkout invoice invoices refund refunds subscription subscriptions plan plans login logout signup
    sign password reset menu button tab page pages dashboard website site app apps contact us faq chat live
    track tracking delivery deliveries return returns exchange payment payments method methods newsletter
    wishlist store shop pro plus basic standard business enterprise free trial upgrade downgrade item items
    product products purchase purchases review reviews rating ratings feedback complaint complaints claim
    claims policy policies terms conditions options option preferences notification notifications
    inbox outbox spam draft drafts folder folders file files report reports export import sync backup
    restore install uninstall update updates upgrade error errors bug bugs crash feature features
    """.split()
)


_WORD = re.compile(r"[\p{L}'’]+")


def not_a_name(value: str) -> bool:
    words = _WORD.findall(value)
    if not words:
        return True
    return any(w.lower().strip("'’") in NOT_NAMES for w in words)


def _name_ok(value: str, text: str, start: int, end: int) -> float | None:
    return None if not_a_name(value) else 0.0


def _vocative_ok(value: str, text: str, start: int, end: int) -> float | None:
    # "Certainly, I can help" and "However, please note" open sentences like a name
    # does: a name here must be one of the lexicons
    from curate.pii.lexicon import is_name_word

    return None if not_a_name(value) or not is_name_word(value.split()[0]) else 0.0


_RELATION = (
    r"kid|kids|son|daughter|child|wife|husband|partner|spouse|mother|father|mom|mum|dad|brother|sister|friend|"
    r"colleague|coworker|co-worker|boss|manager|supervisor|assistant|neighbor|neighbour|uncle|aunt|cousin|"
    r"grandson|granddaughter|grandmother|grandfather|grandma|grandpa|fiancé|fiancée|fiance|fiancee|girlfriend|"
    r"boyfriend|tenant|landlord|roommate|flatmate|nephew|niece|teammate|client|accountant|lawyer|doctor"
)


def _common(value: str) -> bool:
    from spacy.lang.en.stop_words import STOP_WORDS

    words = value.lower().split()
    return any(w in STOP_WORDS or w in NOT_NAMES or w in _NOT_LOWER_NAMES for w in words)


_NOT_LOWER_NAMES = frozenset(
    "wrong incorrect missing spelled misspelled correct listed shown displayed changed different unknown "
    "blank empty invalid right fine ok okay here there".split()
)

_GREETING = r"(?:hi|hello|hey|hiya|howdy|dear|greetings|good[ \t]+(?:morning|afternoon|evening|day)|morning|evening)"
_SIGNOFF = (
    r"(?:thanks|thank[ \t]+you|thanks[ \t]+again|many[ \t]+thanks|thanks[ \t]+so[ \t]+much|thx|ty|cheers|"
    r"regards|best[ \t]+regards|kind[ \t]+regards|warm[ \t]+regards|warmest[ \t]+regards|best[ \t]+wishes|"
    r"best|all[ \t]+the[ \t]+best|sincerely|yours[ \t]+sincerely|yours[ \t]+truly|respectfully|"
    r"take[ \t]+care|talk[ \t]+soon|br|kr|rgds|with[ \t]+thanks|greetings)"
)
_LINE_START = r"(?:^|(?<=\n))[ \t>]*+"
_FIELD_START = r"(?:(?:^|(?<=\n))[ \t>]*+|(?<=[.!?;][ \t]))"
_INTRO = (
    r"(?:my[ \t]+name[ \t]+is|my[ \t]+name's|name[ \t]+is|this[ \t]+is|it's|it[ \t]+is|i[ \t]+am|i'm|im|"
    r"speaking[ \t]+with|talking[ \t]+to|spoke[ \t]+(?:with|to)|signed|attn\.?|attention|c/o|"
    r"assigned[ \t]+to|ask[ \t]+for|contact[ \t]+person)"
)
_FIELD = (
    r"(?:name|full[ \t]+name|first[ \t]+name|last[ \t]+name|surname|customer[ \t]+name|contact[ \t]+name|"
    r"contact|requester|requested[ \t]+by|reported[ \t]+by|submitted[ \t]+by|account[ \t]+holder|"
    r"card[ \t]*holder|name[ \t]+on[ \t]+(?:the[ \t]+)?card|beneficiary|recipient|addressee|"
    r"employee|patient|customer|caller|sender|author|assignee|agent[ \t]+name|billing[ \t]+address|"
    r"shipping[ \t]+address|mailing[ \t]+address|ship[ \t]+to|deliver[ \t]+to|bill[ \t]+to|user|"
    r"(?:directed|written|created|approved|signed|prepared|handled|escalated)[ \t]+by|owner|manager)"
)

_DEPARTMENT = (
    r"accounting|accounts|billing|support|sales|it|hr|finance|legal|marketing|procurement|payroll|"
    r"customer[ \t]+service|helpdesk|help[ \t]+desk|front[ \t]+desk|reception|security|operations|ops|"
    r"engineering|dev[ \t]+team|admin|management|logistics|shipping|warehouse|compliance"
)
_VOCATIVE_NEXT = r"can|could|would|will|please|thanks|thank[ \t]+you|i|we|any|do|did|is|are"

# Rules with ``requires`` skip texts without the literal words every match holds (searched
# in the case-folded text); see Rule.requires.
NAME_RULES = [
    Rule(
        "PERSON",
        re.compile(rf"{_LINE_START}(?i:{_GREETING})[ \t]++{_TITLE}(?P<v>{NAME})[ \t]*+(?=[,!:;.\-—]|\n|$)"),
        0.8, group="v", validate=_name_ok, name="greeting",
    ),
    Rule(  # sign-off, then the name alone on the next non-empty line
        "PERSON",
        re.compile(rf"{_LINE_START}(?i:{_SIGNOFF})[ \t]*+[,.!]?[ \t]*+\n(?:[ \t>]*+\n)*+[ \t>]*+(?:--?[ \t]*+)?(?P<v>{NAME})[ \t]*+(?=\n|$)"),
        0.8, group="v", validate=_name_ok, name="signoff",
    ),
    Rule(  # sign-off and name on one line: "Thanks, John" / "Cheers - Maria"
        "PERSON",
        re.compile(rf"{_FIELD_START}(?i:{_SIGNOFF})[ \t]*+[,\-—][ \t]*+(?P<v>{NAME})[ \t]*+[.!]?[ \t]*+(?=\n|$)"),
        0.8, group="v", validate=_name_ok, name="signoff_inline",
    ),
    Rule(  # "-- John Smith" / "~Maria" / "-Maria" closing a message; "- Maria" (a list item
        # elsewhere) only on the last line
        "PERSON",
        re.compile(
            rf"{_LINE_START}(?:--|—|–|~|-(?=\S))[ \t]*+(?P<v>{NAME})[ \t]*+(?=\n|$)"
            rf"|{_LINE_START}-[ \t]++(?P<v>{NAME})[ \t]*+(?:\n[ \t]*+)*+\Z"
        ),
        0.7, group="v", validate=_name_ok, name="dash_signature",
    ),
    Rule(  # "-- " signature delimiter, then the name
        "PERSON",
        re.compile(rf"{_LINE_START}--[ \t]*+\n(?:[ \t>]*+\n)*+[ \t>]*+(?P<v>{NAME})[ \t]*+(?=\n|$)"),
        0.8, group="v", validate=_name_ok, name="signature_block",
    ),
    Rule(  # From: "Maria Lopez" <maria@...>  /  To: Lopez, Maria <...>
        "PERSON",
        re.compile(
            rf"{_LINE_START}(?i:from|to|cc|bcc|reply-to|sender|sent[ \t]++by)[ \t]*+:[ \t]*+[\"']?"
            rf"(?P<v>{NAME}(?:,[ \t]*+{NAME})?)[\"']?[ \t]*+(?:<|\[mailto:|\(|\n|$)"
        ),
        0.85, group="v", validate=_name_ok, name="email_header",
    ),
    Rule(  # On Mon, 3 Jan 2024 at 10:00, John Smith <john@x.com> wrote:
        "PERSON",
        re.compile(
            rf"\b(?i:on)[ \t][^\n]{{3,80}}?[, \t](?P<v>{NAME})[ \t]*+(?:<[^>\n]{{0,320}}>|\([^)\n]{{0,320}}\))?[ \t]*+(?:\n[ \t]*+)?(?i:wrote):"
        ),
        0.85, group="v", validate=_name_ok, name="reply_header",
    ),
    Rule(  # My name is Maria Lopez
        "PERSON",
        re.compile(rf"(?<![\w])(?i:my[ \t]++name[ \t]++is|my[ \t]++name's|name's)[ \t]++{_TITLE}(?P<v>{NAME})"),
        0.85, group="v", validate=_name_ok, name="my_name_is",
    ),
    Rule(  # This is John from Acme / I'm Maria, ... / ask for Maria.
        "PERSON",
        re.compile(
            rf"(?<![\w])(?i:{_INTRO})[ \t]++{_TITLE}(?P<v>{NAME})"
            rf"(?=[ \t]*+(?:(?i:from|with|at|here|speaking|on[ \t]+behalf|and|of)(?![\w])|[,.;!)]|\n|$))"
        ),
        0.75, group="v", validate=_name_ok, name="introduction",
    ),
    Rule(  # Maria Lopez lives at ... / resides in ...
        "PERSON",
        re.compile(rf"(?<![\w])(?P<v>{NAME})[ \t]++(?i:lives|lived|resides|resided|is[ \t]++living|moved|relocated)[ \t]++(?i:at|in|on|to)(?![\w])"),
        0.7, group="v", validate=_name_ok, name="lives_at",
        requires=stdre.compile(r"(?:lives|lived|resides|resided|living|moved|relocated)[ \t]+(?:at|in|on|to)"),
    ),
    Rule(  # Henrietta from accounting / Tom in IT / Ana at the front desk
        "PERSON",
        re.compile(
            rf"(?<![\w])(?P<v>{NAME})[ \t]++(?i:from|in|at|of|on)[ \t]++(?i:the[ \t]++|our[ \t]++|your[ \t]++)?"
            rf"(?i:{_DEPARTMENT})(?![\w])"
        ),
        0.65, group="v", validate=_name_ok, name="department",
        requires=stdre.compile(rf"(?:from|in|at|of|on)[ \t]+(?:the[ \t]+|our[ \t]+|your[ \t]+)?(?:{_DEPARTMENT})"),
    ),
    Rule(  # a friend named Maria Lopez / under my partner's name Shane Culp
        "PERSON",
        re.compile(
            rf"(?<![\w])(?i:named|called|(?:under|in)[ \t]++(?:the[ \t]++|my[ \t]++|his[ \t]++|her[ \t]++)?(?:[\w]{{1,{WORD_MAX}}}'s[ \t]++)?name)"
            rf"[ \t]++{_TITLE}(?P<v>{NAME})"
        ),
        0.65, group="v", validate=_name_ok, name="named",
    ),
    Rule(  # Name: Maria Lopez   (form fields, signatures)
        "PERSON",
        re.compile(rf"{_FIELD_START}(?i:{_FIELD})[ \t]*+[:=\-][ \t]*+{_TITLE}(?P<v>{NAME})[ \t]*+(?=[\n,;(<]|$)"),
        0.8, group="v", validate=_name_ok, name="form_field",
    ),
    Rule(  # my name is lena andersson (lower case, only after this phrase)
        "PERSON",
        re.compile(
            rf"(?<![\w])(?i:my[ \t]++name[ \t]++is|calls?[ \t]++me)[ \t]++"
            rf"(?P<v>[\p{{Ll}}][\p{{Ll}}'’\-]{{1,{WORD_MAX}}}(?:[ \t]++[\p{{Ll}}][\p{{Ll}}'’\-]{{1,{WORD_MAX}}}){{0,2}})"
            rf"(?=[ \t]*+(?:[.,!?;]|$|\n|(?:and|but)(?![\w])))"
        ),
        0.9, group="v", validate=lambda v, t, s, e: None if _common(v) else 0.0, name="my_name_is_lower",
    ),
    Rule(  # everyone calls me Maria
        "PERSON",
        re.compile(rf"(?<![\w])(?i:calls?[ \t]++me|known[ \t]++as|goes[ \t]++by)[ \t]++(?P<v>{NAME})"),
        0.7, group="v", validate=_name_ok, name="call_me",
    ),
    Rule(  # Warrane, can I please speak to your boss?
        "PERSON",
        re.compile(rf"{_FIELD_START}(?P<v>{NAME}),[ \t]++(?i:{_VOCATIVE_NEXT})(?![\w])"),
        0.6, group="v", validate=_vocative_ok, name="vocative",
        requires=stdre.compile(rf",[ \t]+(?:{_VOCATIVE_NEXT})"),
    ),
    Rule(  # a contact card opening with the person's name ("Lara Fiorentino\n\nNurse\n\nPhone: ...")
        "PERSON",
        re.compile(rf"\A[ \t>]*+(?P<v>{_TOK}(?:[ \t]++(?:(?:{_INITIAL}|{_PARTICLE})[ \t]++){{0,2}}{_TOK}){{1,2}})[ \t]*+\n"),
        0.3, group="v", validate=_name_ok, name="card_heading",
        context=re.compile(r"(?i:phone|e-mail|email|mobile|address|personal[ \t]+info|tel)[ \t]*:"), boost=0.35, before=0, after=250,
    ),
    Rule(  # my kid Mario / our colleague Maria Lopez
        "PERSON",
        re.compile(rf"(?<![\w])(?i:my|our|his|her|their)[ \t]++(?i:{_RELATION})[ \t]++(?:,[ \t]*+)?(?P<v>{NAME})"),
        0.75, group="v", validate=_name_ok, name="relation",
    ),
    Rule(  # said Željko to Teresa / shouted at Tiffany / asked Maria about
        "PERSON",
        re.compile(
            rf"(?<![\w])(?i:said|says|asked|asks|told|tells|shouted|yelled|replied|whispered|wrote|texted|emailed|"
            rf"messaged|thanked|met|helped|cc'd|cc|forwarded|spoke|speaking|talked)[ \t]++(?:(?i:at|to|with)[ \t]++)?(?P<v>{NAME})"
            rf"(?=[ \t]*+(?:[:,.!?;\n]|$)|[ \t]++(?i:and|about|that|for|yesterday|today|earlier|on|in|to|from)(?![\w]))"
        ),
        0.6, group="v", validate=_name_ok, name="speech_verb",
    ),
    Rule(  # What's your last name? Baba / Surname is Nielsen
        "PERSON",
        re.compile(
            rf"(?<![\w])(?i:last[ \t]++name|first[ \t]++name|full[ \t]++name|surname|maiden[ \t]++name|family[ \t]++name|given[ \t]++name)"
            rf"(?:[ \t]++(?i:is))?[ \t]*+[:?=\-]?[ \t]*+(?P<v>{NAME})"
        ),
        0.75, group="v", validate=_name_ok, name="name_field",
    ),
    Rule(  # dialogue: Elizabeth: "I'm Amanda's daughter"
        "PERSON",
        re.compile(rf"{_LINE_START}(?P<v>{NAME})[ \t]*+:[ \t]*+[\"“]"),
        0.7, group="v", validate=_name_ok, name="dialogue_speaker",
        requires=stdre.compile(r":[ \t]*[\"“]"),
    ),
    Rule(  # [10:32] Maria: ...   10:32 AM John Smith: ...
        "PERSON",
        re.compile(rf"{_LINE_START}\[?\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:[ \t]*+[AaPp][Mm])?\]?[ \t]*+(?:-[ \t]*+)?(?P<v>{NAME})[ \t]*+:"),
        0.8, group="v", validate=_name_ok, name="chat_speaker",
    ),
]


def name_recognizer(language: str = "en") -> RegexRecognizer:
    return RegexRecognizer("SupportNameRecognizer", NAME_RULES, supported_language=language)


_LIST_ITEM = rf"{_TOK}(?:[ \t]++{_TOK})?"
_NAME_LIST = re.compile(
    rf"(?<![\w])(?:{_LIST_ITEM})(?:[ \t]*+,[ \t]*+(?:{_LIST_ITEM})){{0,12}},?[ \t]++(?:and|&|or)[ \t]++(?:{_LIST_ITEM})(?![\w])"
)
_ITEM = re.compile(_LIST_ITEM)


_ORG_WORDS = frozenset(
    """
    inc inc. ltd ltd. llc llp plc corp corp. corporation company co co. group bank university college school
    hospital clinic foundation association institute partners solutions systems technologies technology
    services agency labs lab software studio studios media network networks consulting capital holdings
    international global center centre club council department ministry office store shop market cloud
    data digital insurance energy health care motors airlines air airways logistics foods pharma
    pharmaceuticals industries enterprises ventures analytics security financial finance trust fund
    gmbh ag sa sas srl bv ab oy as kg
    """.split()
)
_PERSONLIKE = re.compile(rf"^{_TOK}(?:[ \t]++(?:{_INITIAL}[ \t]++)?{_TOK}){{1,2}}$")


class OrgAsPersonRecognizer(EntityRecognizer):
    """The small English model labels many people ORG ("Sigrid Nyström", "Irenke
    Sörös"). An ORG span of two or three capitalised words with no company word in it
    (Inc, Bank, Solutions, ...) and no product name is taken for a person."""

    def __init__(self, supported_language: str = "en", score: float = 0.6):
        self.score = score
        super().__init__(supported_entities=["PERSON"], name="OrgAsPersonRecognizer", supported_language=supported_language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if nlp_artifacts is None or not nlp_artifacts.entities:
            return []
        from curate.pii.technical import is_product_name

        out = []
        for e in nlp_artifacts.entities:
            if e.label_ != "ORGANIZATION":
                continue
            value = text[e.start_char:e.end_char]
            if not _PERSONLIKE.match(value) or not_a_name(value) or is_product_name(value):
                continue
            if any(w.lower().strip(".,") in _ORG_WORDS for w in value.split()):
                continue
            if not organisation_person_span(value):
                continue  # an organisation with an English word or a product spelling in it: "Fifth Harmony"
            out.append(
                RecognizerResult(
                    "PERSON", e.start_char, e.end_char, self.score,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return out


_SPEAKER = re.compile(rf"(?m)^[ \t>]*+(?P<v>{_TOK}(?:[ \t]++{_TOK})?)[ \t]*+:[ \t]*+[\"“]?(?P<u>[^\n]*+)")
_LABELS = frozenset(
    """resolution environment impact workaround severity component reporter platform device model serial location
    company title department website mobile fax tel office role position job reference ref attachment attachments
    cause solution fix symptom symptoms problem request response reply comment comments details detail type kind
    steps expected actual observed when where what why how who tip hint example output input note ps""".split()
)


class TranscriptRecognizer(EntityRecognizer):
    """Chat transcripts and dialogue: lines opening with "Maria: ...". Two or more
    distinct speakers, each saying something, one of whom NER knows for a person."""

    def __init__(self, supported_language: str = "en", score: float = 0.6):
        self.score = score
        super().__init__(supported_entities=["PERSON"], name="TranscriptRecognizer", supported_language=supported_language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if ":" not in text or "\n" not in text or nlp_artifacts is None:
            return []
        lines = [
            m for m in _SPEAKER.finditer(text)
            if len(m.group("u").split()) >= 2 and not not_a_name(m.group("v"))
            and not any(w.lower() in _LABELS for w in m.group("v").split())
        ]
        if len({m.group("v") for m in lines}) < 2:
            return []
        speakers = {m.group("v") for m in lines}
        # a person NER found who is (part of) a speaker's name; one substring search in
        # the joined names per distinct person, not one per (person, speaker) pair
        joined = "\n".join(speakers)
        persons = {text[e.start_char:e.end_char] for e in nlp_artifacts.entities if e.label_ == "PERSON"}
        known = any(p in speakers or (p in joined if "\n" not in p else any(p in sp for sp in speakers)) for p in persons)
        if not known:
            return []
        meta = {RecognizerResult.RECOGNIZER_NAME_KEY: self.name, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}
        return [RecognizerResult("PERSON", m.start("v"), m.end("v"), self.score, recognition_metadata=dict(meta)) for m in lines]


def _overlaps(starts: list[int], reach: list[int], s: int, e: int) -> bool:
    """Whether a span of ``starts`` (sorted) overlaps [s, e): one starting before e that
    reaches past s (``reach``: the running maximum of their ends)."""
    i = bisect.bisect_left(starts, e)
    return i > 0 and reach[i - 1] > s


class NameListRecognizer(EntityRecognizer):
    """"Efimiya, Mary, Ariana and Jodi": when NER marks some items of a list of
    capitalised words as persons, the others are names too; so when two thirds of the
    items of a list of three or more, in any case, are lexicon names that NER does not
    call places or organisations ("silvana, adam, christopher, kristina, chad and
    caleb"); and in "Marrero and Murphy" when NER knows one and the other is a lexicon
    name. Its score is above NER's, so on the same span its finding is the one kept
    (NER's lower-case persons are otherwise dropped as implausible)."""

    def __init__(self, supported_language: str = "en", score: float = 0.9):
        self.score = score
        super().__init__(supported_entities=["PERSON"], name="NameListRecognizer", supported_language=supported_language)

    def load(self) -> None:
        pass

    @staticmethod
    def _surname_pair(a: str, b: str) -> bool:
        """"Usamov and Bowers", found by no NER: each word could be a name by its own
        letters (curate.pii.plausible: no English word, code or acronym) and one of them
        is a name of the lexicons that is no English word ("Maps and Photos" is not;
        "Dell and Lenovo" is left to NER's organisations)."""
        from curate.pii.lexicon import is_name_word

        return (
            (is_name_word(a) or is_name_word(b))
            and person_span(a) == [(0, len(a))] and person_span(b) == [(0, len(b))]
        )

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        from curate.pii.lexicon import is_name_word

        if " and " not in text and "," not in text and " & " not in text and " or " not in text:
            return []
        ents = nlp_artifacts.entities if nlp_artifacts is not None else []
        # a person whose own words say it is none ("Android Studio" of "Android Studio or
        # Xcode", curate.pii.plausible) makes no list of names
        persons = sorted((e.start_char, e.end_char) for e in ents if e.label_ == "PERSON" and person_span(e.text))
        # places are not people; organisations may be (the small model calls people ORG)
        others = sorted((e.start_char, e.end_char) for e in ents if e.label_ in ("LOCATION", "GPE", "LOC", "NRP"))
        p_starts = [ps for ps, _ in persons]
        p_reach = list(itertools.accumulate((pe for _, pe in persons), max))
        o_starts = [os_ for os_, _ in others]
        o_reach = list(itertools.accumulate((oe for _, oe in others), max))

        def lexical(s: int, e: int) -> bool:
            words = text[s:e].split()
            return all(is_name_word(w) for w in words) and not _overlaps(o_starts, o_reach, s, e)

        out: list[tuple[int, int]] = []
        if persons and "," in text:
            for m in _NAME_LIST.finditer(text):
                items = [(m.start() + i.start(), m.start() + i.end()) for i in _ITEM.finditer(m.group())]
                found = sum(1 for s, e in items if _overlaps(p_starts, p_reach, s, e))
                if found == 0 or found * 3 < len(items):
                    continue
                out += [(s, e) for s, e in items if not not_a_name(text[s:e])]
        if " and " in text or " & " in text:
            entities = sorted((e.start_char, e.end_char) for e in ents if e.label_ not in ("PERSON", "ORG", "ORGANIZATION"))
            e_starts = [es for es, _ in entities]
            e_reach = list(itertools.accumulate((ee for _, ee in entities), max))
            for m in _NAME_PAIR.finditer(text):
                a, b = m.span("a"), m.span("b")
                na, nb = _overlaps(p_starts, p_reach, *a), _overlaps(p_starts, p_reach, *b)
                if na != nb:
                    if lexical(*(b if na else a)):
                        out.append(b if na else a)
                elif not na and self._surname_pair(text[a[0]:a[1]], text[b[0]:b[1]]) and not _overlaps(
                    e_starts, e_reach, a[0], b[1]
                ):
                    out += [a, b]
        if "," in text:
            for m in _ANY_NAME_LIST.finditer(text):
                items = _items(m)
                named = sum(1 for s, e in items if lexical(s, e))
                if len(items) >= 3 and named >= 2 and named * 3 >= 2 * len(items):
                    out += [(s, e) for s, e in items if not not_a_name(text[s:e])]
        return [
            RecognizerResult(
                "PERSON", s, e, self.score,
                recognition_metadata={
                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                },
            )
            for s, e in out
        ]


_NAME_PAIR = re.compile(rf"(?<![\w])(?P<a>{_TOK})[ \t]++(?:and|&)[ \t]++(?P<b>{_TOK})(?![\w])")
# any case, one or two words an item ("leonti, terrence, pamela and brian")
_ANY_TOK = rf"(?>\p{{L}}[\p{{L}}'’\-]{{1,{WORD_MAX}}})"
_ANY_ITEM_RE = rf"{_ANY_TOK}(?:[ \t]++{_ANY_TOK})?"
_ANY_NAME_LIST = re.compile(
    rf"(?<![\w])(?:{_ANY_ITEM_RE})(?:[ \t]*+,[ \t]*+(?:{_ANY_ITEM_RE})){{1,12}},?[ \t]++(?:and|&|or)[ \t]++(?:{_ANY_ITEM_RE})(?![\w])"
)
# entered only at the first blank of a run (a run of tabs is read once, not from each tab)
_LIST_SEP = re.compile(r"(?<![ \t])(?:[ \t]*+,[ \t]*+(?:(?:and|&|or)[ \t]++)?|[ \t]++(?:and|&|or)[ \t]++)")


def _items(m) -> list[tuple[int, int]]:
    """The items of a matched list, at its commas and its "and"."""
    out, pos = [], 0
    g = m.group()
    for sep in _LIST_SEP.finditer(g):
        if sep.start() > pos:
            out.append((m.start() + pos, m.start() + sep.start()))
        pos = sep.end()
    if pos < len(g):
        out.append((m.start() + pos, m.end()))
    return out
