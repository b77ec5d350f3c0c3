"""Street addresses, which Presidio has no recognizer for: a street line (number + name +
street type, in English and in the usual continental forms), unit lines (Apt. 4B), PO
boxes, "City, ST 12345" lines and postcodes, then grown into the whole block (the lines of
city, region, country and postcode that follow a street line)."""

from __future__ import annotations

import re as stdre

import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult

from curate.pii.recognizers.base import WORD_MAX, words_regex
from curate.pii.recognizers.names import NAME

# Linear time: no repetition here can run over more than one word, and a word is at most
# WORD_MAX characters, so a match attempt costs the same at any of the text's positions
# (a run of "a-a-a-..." or tabs is not re-read from each of its characters). Word
# repetitions are possessive where what follows can never be part of the word.
_W = rf"[\p{{Lu}}\d][\p{{L}}\d'’.\-]{{0,{WORD_MAX}}}+"      # a capitalised word or a number
_LW = rf"[\p{{L}}][\p{{L}}'’.\-]{{0,{WORD_MAX}}}+"            # any word (de, la, van, ...)
_SUFFIX_EN = (
    r"(?:Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|"
    r"Parkway|Pkwy|Highway|Hwy|Circle|Cir|Square|Sq|Trail|Trl|Crescent|Cres|Close|Row|Plaza|Alley|Loop|"
    r"Path|Pike|Walk|Gardens|Grove|Heights|Mews|Rise|Wharf|Cliffs?|Creek|Route|Rte|Expressway|Freeway|"
    r"Turnpike|Causeway|Esplanade|Promenade|Quay|Hill|Park|Green|View|Vale|Common|Junction|Jct|Crossing|"
    r"Point|Pt|Ridge|Run|Station|Sta|Summit|Valley|Village|Vista|Meadows?|Estates?|Forest|Harbor|Harbour|"
    r"Island|Lake|Landing|Manor|Mill|Orchard|Pass|Pines|Port|Ranch|Shore|Springs?|Track|Trace|Tunnel|Union|Ville)"
)
_SUFFIX_EU = (
    r"(?:stra(?:ss|ß)e|str\.|gasse|weg|allee|platz|ring|damm|ufer|chaussee|vej|veien|vegen|gata|gatan|vägen|"
    r"katu|tie|kuja|polku|tee|maantee|laan|straat|plein|gracht|kade|singel|steeg|dreef|baan|utca|út|tér|körút|ulica|ul\.|"
    r"cesta|ulice|náměstí|třída|gade|stræde|torv|brekka|gerði|stígur|vegur)"
)
_PREFIX_EU = (
    r"(?:rue|avenue|av\.|boulevard|bd|chemin|place|impasse|allée|quai|cours|via|viale|piazza|piazzetta|"
    r"corso|largo|vicolo|strada|calle|avenida|avda\.?|plaza|paseo|carrer|rua|travessa|praça|alameda|"
    r"ul\.|ulica|aleja|al\.|str\.|strada|calea|bulevardul|odos|leoforos|"
    # Spanish, Italian and Brazilian street types (the lists of the postal services, as
    # Faker's es_ES, it_IT and pt_BR address providers have them)
    r"callejón|cuesta|pasadizo|pasaje|ronda|rambla|glorieta|urbanización|cañada|camino|acceso|carretera|"
    r"borgo|contrada|rotonda|incrocio|stretto|canale|piazzale|"
    r"estrada|esplanada|condomínio|conjunto|residencial|morro|ladeira|loteamento|rodovia|quadra|travessa|"
    r"chácara|fazenda|sítio|viela|vereda|trecho|trevo|núcleo|recanto|passarela|"
    r"plac|osiedle|os\.)"
)
# Prefixes that are no English word, so a lower-case one still starts a street
# ("plac Jadwigi 85", "al. Sikorskiego 89/88", "rue Gérard Poirier, 82911 ...")
_PREFIX_FOREIGN = (
    r"(?:rue|chemin|impasse|allée|quai|viale|piazza|corso|vicolo|strada|calle|avenida|avda\.|paseo|carrer|rua|"
    r"travessa|praça|ul\.|ulica|aleja|al\.|plac|pl\.|osiedle|os\.|calea|bulevardul)"
)
_CAPW = rf"\p{{Lu}}[\p{{L}}'’.\-]{{0,{WORD_MAX}}}"
#: the rest of the street types of the US (USPS), Canadian and Australian lists (Faker's
#: en_US, en_CA and en_AU address providers), less the ones that are ordinary words after a
#: number in technical text (Key, Keys, Link, Line, End, Block, Gate, Gateway ("502 Bad
#: Gateway"), Bridge, Branch, Circuit, Extension, Field, Lock, Drives ("4x 4TB Hard Drives"),
#: Ports, Points, Views, Top, Ground, Dell, Tor, ...: an Australian "6 Jarrah Top" is still
#: found through its postal line)
_SUFFIX_EN_MORE = (
    r"(?:Alleyway|Amble|Anchorage|Arcade|Artery|Basin|Beach|Bend|Bluffs?|Brace|Brae|Broadway|Brooks?|"
    r"Brow|Burgs?|Byway|Camp|Canyon|Cape|Centreway|Circlet|Circus|Colonnade|Concourse|Copse|Courts|"
    r"Courtyard|Coves?|Crest|Crossroad|Crossway|Cruiseway|Cul-de-sac|Dale|Driveway|Esplanade|Fairway|"
    r"Falls|Ferry|Firetrail|Footway|Fords?|Foreshore|Forges?|Fort|Frontage|Garden|Glade|Glens?|Grange|"
    r"Greens|Groves|Gully|Harbors|Haven|Highroad|Hills|Hollow|Inlet|Islands?|Isle|Junctions|Knolls?|"
    r"Lakes|Laneway|Lees|Lodge|Lookout|Manors|Meander|Mew|Mills|Mission|Motorway|Mountains?|Neck|Nook|"
    r"Oval|Overpass|Parade|Parklands|Parks|Parkways|Pathway|Piazza|Plains|Plateau|Prairie|Quadrangle|"
    r"Quadrant|Quays|Radial|Ramble|Rapids?|Ridges|Ridgeway|Riverway|River|Riviera|Roads|Roadside|"
    r"Roadway|Ronde|Rosebowl|Rotary|Shoals?|Shores|Skyway|Spurs?|Strand|Stravenue|Streets|Tarn|"
    r"Thoroughfare|Throughway|Tollway|Trafficway|Triangle|Trunkway|Underpass|Unions|Valleys|Viaduct|"
    r"Villages|Villas|Wade|Walkway|Wells|Wynd)"
)
#: words ending in -pad or -hof that are no Dutch street (iPad 5, Keypad 2)
_PAD_NOT = r"(?i:ipad|keypad|touchpad|trackpad|numpad|notepad|launchpad|gamepad|scratchpad|dialpad|mousepad|thinkpad)(?![\p{L}])"
#: postcodes of the continental forms: 00-950 (PL), 110 00 (CZ, SK, SE), 1012 AB (NL),
#: 01310-100 (BR), 10115 / 1010 (DE, FR, IT, ES, AT, CH, BE, DK, ...)
_POSTCODE = r"(?:\d{2}-\d{3}|\d{3}[ \t]\d{2}|\d{4}[ \t]?[A-Z]{2}|\d{5}-\d{3}|\d{4,5})(?![\w])"
_PREFIX_EU_CAP = "(?:" + "|".join(
    w[0].upper() + w[1:] for w in _PREFIX_EU[3:-1].split("|")
) + ")"
_NUM = r"\d{1,6}[A-Za-z]?(?:[\-/]\d{1,4}[A-Za-z]?)?"

# Every match of the EU-suffix street pattern holds a suffix, blanks and a digit. Searched
# in the case-folded text with the standard library, this skips that (costly) pattern for
# most texts. Folding turns ß into ss; the ß branch also admits any letter, so no match is
# ever missed.
_EU_SUFFIX_NUMBER = stdre.compile(
    _SUFFIX_EU.casefold().replace("stra(?:ss|ss)e", r"stra(?:ss|[^\W\d_])e") + r"[ \t]*\d"
)
#: (street pattern, None or a necessary condition searched in the case-folded text first)
_STREET_PATTERNS = [
    # 1600 Amphitheatre Parkway / 12B North Main St. / 935 69 Gordon Terrace
    (re.compile(rf"(?<![\w.,\-])(?:{_NUM}[ \t]++){{1,2}}(?:[NSEW]\.?[ \t]++)?(?:{_W}[ \t]++){{0,4}}{_SUFFIX_EN}\b\.?"), None),
    # Feldstrasse 42 / Augsburger Strasse 36 / Luite tee 87 / 03220 Parijsstraat 8
    (re.compile(rf"(?<![\w])(?:{_NUM}[ \t]++)?(?:{_W}[ \t]++){{0,3}}\p{{Lu}}?[\p{{L}}\-]{{0,{WORD_MAX}}}(?i:{_SUFFIX_EU})(?![\p{{L}}])[ \t]*+{_NUM}\b"),
     _EU_SUFFIX_NUMBER),
    # 12 rue de la Paix / 772 ul. Narewska 94: a number first
    (re.compile(rf"(?<![\w]){_NUM},?[ \t]++(?i:{_PREFIX_EU})[ \t]++(?:{_LW}[ \t]++){{0,4}}?{_CAPW}(?:[ \t,]++{_NUM})?\b"), None),
    # Via Roma 131 / Avda. Rio Nalon 58 / Rue Oberkampf 12: a capitalised prefix, a number last
    (re.compile(rf"(?<![\w]){_PREFIX_EU_CAP}[ \t]++(?:{_LW}[ \t]++){{0,3}}?{_CAPW}[ \t,]++{_NUM}\b"), None),
    # plac Jadwigi 85 / al. Sikorskiego 89/88 / rue Gérard Poirier, 82911 Pau: a lower-case
    # prefix of no English word, then a number or a comma and a postcode ("et al." is no street)
    (re.compile(rf"(?<![\w.])(?<!et[ \t]){_PREFIX_FOREIGN}[ \t]++(?:{_LW}[ \t]++){{0,3}}?{_CAPW}"
                rf"(?:[ \t,]++{_NUM}\b|,[ \t]*+{_POSTCODE}[ \t]++\p{{Lu}}[\p{{L}}'’\-]{{0,{WORD_MAX}}}+)"), None),
    # 493 Smith Keys / 6 Buckley Anchorage: the rarer street types of the US, Canadian and
    # Australian lists, after at least one name word (so "Windows 10 Key" is none)
    (re.compile(rf"(?<![\w.,\-])(?:{_NUM}[ \t]++){{1,2}}(?:[NSEW]\.?[ \t]++)?(?:{_W}[ \t]++){{1,4}}{_SUFFIX_EN_MORE}\b\.?"), None),
    # Lynnpad 19 / Kalverhof 3: Dutch -pad and -hof streets, capitalised, not a device
    (re.compile(rf"(?<![\w])(?!{_PAD_NOT})\p{{Lu}}\p{{Ll}}{{2,{WORD_MAX}}}(?:pad|hof)[ \t]++{_NUM}\b"), None),
]
# for the labelled form and the growth of a hit (compiled once, they run per hit)
# searched backwards from the end: one pass, however many words the text holds
_LOWER_TAIL = re.compile(r"(?r)(?:[ \t,]+\p{Ll}[\p{Ll}'’\-]*)+[ \t]*$")
_CAPITALISED = re.compile(r"\p{Lu}\p{Ll}")
_HEXISH = re.compile(r"[\d.:/a-fA-F\s]+")
_NOT_PLACE_LABEL = re.compile(r"(?i:ip|mac|email|e-mail|web)[ \t]*+$")
#: words of the rest of an address line ("..., Borgarnes, NY"), at most this many
TAIL_WORDS = 16
# both entered only at the first blank of a run (a long run of blanks is read once)
_LINE_TAIL = re.compile(
    rf"(?<![ \t])(?:,?[ \t]++(?:[\p{{Lu}}\d][\p{{L}}\d.'’\-]{{0,{WORD_MAX}}}|(?i:apt|suite|unit)\.?[ \t]*+\d{{1,10}}\w?)){{1,{TAIL_WORDS}}},?"
)
_UNIT = re.compile(
    r"(?<![\w])(?:(?i:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building|block|lot)\.?[ \t]*+#?[ \t]*+\d{1,5}[A-Za-z]?)(?![\w])"
)
_POBOX = re.compile(
    r"(?<![\w])(?:(?i:p\.?[ \t]?o\.?[ \t]?box|post[ \t]++office[ \t]++box|postbox|postfach|apartado|boîte[ \t]++postale)|PSC[ \t]++\d{1,5},?[ \t]++Box)[ \t]++\d{1,6}(?![\w])"
)
_US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR AA AE AP"
).split()
_CITY_STATE_ZIP = re.compile(
    rf"(?<![\w])\p{{Lu}}[\p{{L}}.'’\-]{{0,{WORD_MAX}}}+(?:[ \t]++\p{{Lu}}[\p{{L}}.'’\-]{{0,{WORD_MAX}}}+){{0,3}},?[ \t]++"
    rf"(?:{'|'.join(_US_STATES)})[ \t]++\d{{5}}(?:-\d{{4}})?(?![\w])"
)
_UK_POSTCODE = re.compile(r"(?<![\w])(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2}|GIR[ \t]0AA)(?![\w])")
# "lives at 172 Maneeži 75" - a number, capitalised words, a number: needs context; not
# the last group of a phone number ("... 42 98 The card ..."), unless a unit comes first
# ("Suite 541 6343 Skogstien 106")
_NUM_WORDS_NUM = re.compile(
    rf"(?<![\w.,\-])(?:(?<!\d[ \t])|(?<=(?i:suite|ste|apt|unit|flat)\.?[ \t]\d{{1,5}}[ \t]))\d{{1,6}}[ \t]++\p{{Lu}}[\p{{L}}'’\-]{{1,{WORD_MAX}}}+(?:[ \t]++[\p{{L}}'’\-]{{1,{WORD_MAX}}}+){{0,3}}[ \t]++\d{{1,4}}[A-Za-z]?(?![\w])"
)
#: words that make a number-words-number run a date or a sentence, not a street
#: ("Thu, 25 Jun 2024 at 18:15", "98 The card used was 4295")
_NOT_STREET_WORD = frozenset(
    """jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august
    september october november december mon tue wed thu fri sat sun monday tuesday wednesday thursday friday
    saturday sunday""".split()
)
_WORD = re.compile(r"[\p{L}'’\-]{1,40}")


def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


_STOP = _stop_words()

# Postal lines, each the end of an address: the street before them on the line, or on the
# line above, is taken with them (see _grow_back).
_CITY = rf"\p{{Lu}}[\p{{L}}'’.\-]{{0,{WORD_MAX}}}+(?:[ \t]++\p{{Lu}}[\p{{L}}'’.\-]{{0,{WORD_MAX}}}+){{0,3}}"
#: small words inside street and town names (Calle de la Paz, Libčice nad Vltavou)
_CONNECTOR = r"(?:de|la|las|los|del|di|da|do|dos|das|van|der|den|von|am|an|auf|im|le|les|nad|pod|na|u)(?![\p{L}])"
_POSTAL_LINES = [
    # Australia: "Pughborough, SA, 2626" / "East Tony, VIC 2609" (a comma after the suburb)
    re.compile(rf"(?<![\w]){_CITY},[ \t]++(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT),?[ \t]++\d{{4}}(?![\w])"),
    # Canada: "Katieton, YT R7N 3N2" / "East Lisaview, ON T7N8R3" (the postcode's own letters)
    re.compile(rf"(?<![\w]){_CITY},?[ \t]++(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)[ \t]++"
               r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ \t]?\d[ABCEGHJ-NPRSTV-Z]\d(?![\w])"),
    # India: "H.No. 709, Muni Marg, Raipur 858391" / "95/854, Chawla Path, Begusarai 746650" /
    # "Butala Nagar, Durgapur-385886": words, a comma, a town and a six-digit PIN
    re.compile(rf"(?<![\w]){_CITY},[ \t]++\p{{Lu}}[\p{{L}}'’.]{{0,{WORD_MAX}}}+(?:[ \t]++\p{{Lu}}[\p{{L}}'’.]{{0,{WORD_MAX}}}+){{0,2}}"
               r"(?:[ \t]|[ \t]?-[ \t]?)[1-9]\d{5}(?![\w])"),
    # continental: "Višňová 87, 698 61 Pilníkov" / "Lynnpad 19, 3540DE, Gendt" / "aleja Kasprowicza 95,
    # 11-608 Wałcz": a street and its number, a comma, a postcode and a capitalised town
    re.compile(rf"(?<![\w])\p{{Lu}}[\p{{L}}'’.\-]{{0,{WORD_MAX}}}+(?:[ \t]++(?:{_CAPW}|{_CONNECTOR})){{0,3}}+[ \t]++{_NUM},[ \t]*+{_POSTCODE},?"
               rf"[ \t]++\p{{Lu}}[\p{{L}}'’\-]{{1,{WORD_MAX}}}+(?:[ \t]++{_CONNECTOR}[ \t]++{_CAPW}+){{0,2}}+"),
    # Brazil: "99335-665 Machado das Pedras / RS", "04536333 da Mata / MA": CEP, town, state
    re.compile(rf"(?<![\w])\d{{5}}-?\d{{3}}[ \t]++(?:{_LW}[ \t]++){{0,5}}?/[ \t]*+[A-Z]{{2}}(?![\w])"),
]
#: words of the continental line's street part that make it something else ("Windows 10,
#: 22631 Build", "Page 2, 10000 Users")
_POSTAL_NOT = words_regex(
    """version build release update patch windows macos ios android office server page step chapter section
    item line port order invoice ticket case error code level room table figure row column year week day
    jan feb mar apr may jun jul aug sep oct nov dec total""".split()
)
#: the start of the line above a postal line that makes it its street line: a house number
#: and a word, a unit, a PO box ("26 Stephanie Cove", "Suite 014 0 Reynolds Byway")
_STREET_HEAD = re.compile(
    r"^[ \t>|*]*+(?:(?:H\.?[ \t]?No\.?[ \t]*+)?\d{1,6}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?,?[ \t]++\p{L}"
    r"|(?i:apt|apartment|suite|unit|flat|level|lot|p\.?[ \t]?o\.?[ \t]?box)\.?[ \t]++\d"
    r"|\p{Lu}[\p{L}'’.\-]{0,40}+(?:[ \t]++[\p{L}'’.\-]{1,40}+){0,4}[ \t,]++\d{1,6}[A-Za-z]?(?:/\d{1,5})?[ \t]*+$)"
)
#: the part of the line before a postal line that is its street ("6 Buckley Anchorage, ")
_STREET_BEFORE = re.compile(
    r"^[ \t>|*]*+(?:H\.?[ \t]?No\.?[ \t]*+)?(?:\d{1,6}[A-Za-z]?(?:[/\-]\d{1,5}[A-Za-z]?)?,?[ \t]++|(?i:apt|suite|unit|level)\.?[ \t]++\d{1,5}[ \t]++)"
    r"(?:[^\n:@]{0,80}?,[ \t]*+)?$"
)

# "My new address is rue Alves, 41199 Marques-sur-Pineau." - what follows an address label
_LABELLED = re.compile(
    # a blank run is entered from its first character only (an optional word before
    # "address" made every tab of a run a start that read the rest of the run)
    r"(?<![\w])(?i:(?:(?:home|new|billing|shipping|delivery|postal|mailing|street)[ \t]*+)?address(?:[ \t]++is)?|"
    r"ship(?:ping)?[ \t]++(?:it[ \t]++)?to|send[ \t]++(?:it[ \t]++)?to|deliver[ \t]++(?:it[ \t]++)?to|lives?[ \t]++at|"
    r"moved[ \t]++to)[ \t]*+:?[ \t]*+(?P<v>[^\n.;!?@]{0,40}?\d[^\n;!?@]{0,60}?)(?=\.(?:[ \t]|\n|$)|\n|;|!|\?|$)"
)
_CONTEXT = words_regex(
    """address addresses adress addr lives live living lived located location ship shipping shipped deliver
    delivery delivered billing mailing mail post postal residence resides reside home house moved move
    office headquarters hq visit send sent street avenue road apartment flat suite building drops dropped
    find us at to""".split()
)

# A line that may continue an address block: city, region, country, postcode, unit.
_BLOCK_LINE = re.compile(
    r"^[ \t>|*]*+(?:"
    r"(?:(?i:apt|apartment|suite|ste|unit|flat|floor|fl|room|bldg|building)\.?[ \t]*+#?[ \t]*+\d{1,5}[A-Za-z]?)"
    rf"|(?:,?[ \t]*+[\p{{Lu}}\d][\p{{L}}\d.'’\-]{{0,{WORD_MAX}}}(?:[ \t,]+(?:[\p{{Lu}}\d][\p{{L}}\d.'’\-]{{0,{WORD_MAX}}}|(?i:de|la|del|di|van|der|von|am|an|upon|on|le|les)))*,?)"
    r")[ \t]*$"
)
#: the longest line the block growth and the addressee look at
LINE_MAX = 1000
#: the longest rest of a line an address grows into
TAIL_CHARS = 512
_BLANK_TO_EOL = re.compile(r"[ \t,]*+\n")
_POSTCODE_TOWN = re.compile(rf"(?<![ \t>|*])[ \t>|*]*+(?:\d{{2}}-\d{{3}}|\d{{3}}[ \t]\d{{2}}|\d{{4}}[ \t]?[A-Z]{{2}}|\d{{5}}(?:-\d{{3}})?)[ \t]++\p{{Lu}}[\p{{L}}'’\-]{{1,{WORD_MAX}}}+(?![\w])")
_TAIL_STOP = re.compile(r"(?<=[\p{L}\-]{4}|\d)\.(?=[ \t]++\p{Lu})")
_LINE_HEAD = re.compile(r"[ \t>|*:]*+")
_CONTACT_LINE = re.compile(r"\d|@|:")
_NAME_LINE = re.compile(rf"^[ \t>|*]*+(?P<v>{NAME})[ \t]*+$")
_BLOCK_NOT = words_regex(
    """phone tel telephone mobile cell fax email e-mail mail web www http https thanks regards cheers best sent
    dear hi hello order invoice ticket account password subject date""".split()
)


class StreetAddressRecognizer(EntityRecognizer):
    """STREET_ADDRESS: street lines, units, PO boxes, city/state/zip lines, postcodes,
    grown into the whole address block."""

    ENTITY = "STREET_ADDRESS"

    def __init__(self, supported_language: str = "en", score: float = 0.75):
        self.score = score
        super().__init__(supported_entities=[self.ENTITY, "PERSON"], name="StreetAddressRecognizer", supported_language=supported_language)

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if entities and self.ENTITY not in entities:
            return []
        spans: list[tuple[int, int, float]] = []
        folded = text.casefold()
        for pat, requires in _STREET_PATTERNS:
            if requires is not None and not requires.search(folded):
                continue
            for m in pat.finditer(text):
                spans.append((m.start(), m.end(), self.score))
        for m in _POBOX.finditer(text):
            spans.append((m.start(), m.end(), 0.75))
        for m in _CITY_STATE_ZIP.finditer(text):
            spans.append((m.start(), m.end(), 0.75))
        for m in _UNIT.finditer(text):
            near = _CONTEXT.search(text, max(0, m.start() - 60), m.start())
            spans.append((m.start(), m.end(), 0.6 if near or spans else 0.45))
        for m in _UK_POSTCODE.finditer(text):
            near = _CONTEXT.search(text, max(0, m.start() - 60), m.start())
            spans.append((m.start(), m.end(), 0.7 if near else 0.5))
        for m in _LABELLED.finditer(text):
            v = m.group("v")
            trail = _LOWER_TAIL.search(v)
            if trail:  # "... CA 94043 please"
                v = v[:trail.start()]
            if _CAPITALISED.search(v) and not _HEXISH.fullmatch(v) and "://" not in v \
                    and not _NOT_PLACE_LABEL.search(text[max(0, m.start() - 8):m.start()]):
                spans.append((m.start("v"), m.start("v") + len(v), 0.7))
        for m in _NUM_WORDS_NUM.finditer(text):
            near = _CONTEXT.search(text, max(0, m.start() - 40), m.start())
            if near and not any(w.casefold() in _NOT_STREET_WORD or w.casefold() in _STOP
                                for w in _WORD.findall(m.group())):
                spans.append((m.start(), m.end(), 0.7))
        for i, pat in enumerate(_POSTAL_LINES):
            for m in pat.finditer(text):
                if pat is _POSTAL_LINES[3] and (_POSTAL_NOT.search(m.group()) or m.group().split()[0].casefold() in _STOP
                                                or any(w.casefold() in _NOT_STREET_WORD for w in _WORD.findall(m.group()))):
                    continue  # "Effective January 1, 2001, Alaska Airlines" is a date
                spans.append((self._grow_back(text, m.start()), m.end(), 0.75))
        if not spans:
            return []
        spans = self._grow(text, spans)
        meta = {RecognizerResult.RECOGNIZER_NAME_KEY: self.name, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}
        out = [RecognizerResult(self.ENTITY, s, e, sc, recognition_metadata=dict(meta)) for s, e, sc in spans]
        if not entities or "PERSON" in entities:
            for s, e in self._addressee(text, [sp for sp in spans if sp[2] >= 0.6]):
                out.append(RecognizerResult("PERSON", s, e, 0.65, recognition_metadata=dict(meta)))
        return out

    @staticmethod
    def _grow_back(text: str, s: int) -> int:
        """The start of the address a postal line at ``s`` ends: the street before it on its
        line ("6 Buckley Anchorage, North Nicholasshire, VIC, 2921"), or the line above when
        the postal line starts its line and that one is a street line ("26 Stephanie
        Cove⏎Davisberg, NT, 6647")."""
        line_start = text.rfind("\n", max(0, s - LINE_MAX), s) + 1
        before = text[line_start:s]
        if before.strip():
            m = _STREET_BEFORE.match(before)
            return line_start + len(before) - len(before.lstrip(" \t>|*")) if m else s
        if line_start < 2:
            return s
        prev_start = text.rfind("\n", max(0, line_start - 1 - 49), line_start - 1) + 1
        prev = text[prev_start:line_start - 1]
        if (prev_start == 0 and line_start - 1 > 49) or not prev.strip() or len(prev.strip()) > 48 \
                or _BLOCK_NOT.search(prev) or "@" in prev or ":" in prev or not _STREET_HEAD.match(prev):
            return s
        return prev_start + len(prev) - len(prev.lstrip(" \t>|*"))

    @staticmethod
    def _addressee(text: str, spans) -> list[tuple[int, int]]:
        """The name line heading an address block ("Dreux Joly\nPaxata\nPSC 3294, Box
        9168"): one of the two lines above a street line, two or three name words."""
        from curate.pii.recognizers.names import not_a_name

        out = []
        line_start = searched = 0
        head_end = _LINE_HEAD.match(text).end()
        for s, _e, _sc in spans:  # sorted and disjoint: each stretch of text is read once
            nl = text.rfind("\n", searched, s)
            searched = s
            if nl >= 0:
                line_start = nl + 1
                head_end = _LINE_HEAD.match(text, line_start).end()
            if head_end < s:
                j = s
                while j > line_start and text[j - 1].isspace():
                    j -= 1
                if text[j - 1:j] != ":" or j == line_start:
                    continue  # the street is not at the start of its line
            pos = line_start - 1
            for _ in range(3):
                if pos <= 0:
                    break
                prev_start = text.rfind("\n", max(0, pos - LINE_MAX), pos) + 1
                if prev_start == 0 and pos > LINE_MAX:
                    break  # a line this long is no name line
                line = text[prev_start:pos]
                m = _NAME_LINE.match(line)
                if m and len(m.group("v").split()) >= 2 and not not_a_name(m.group("v")):
                    out.append((prev_start + m.start("v"), prev_start + m.end("v")))
                    break
                if len(line.strip()) > 40 or _CONTACT_LINE.search(line):
                    break  # a signature's phone or e-mail line: the lines above it are no addressee
                pos = prev_start - 1
        return out

    @staticmethod
    def _grow(text: str, spans: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
        """Extend each confident hit to the rest of its line (", Borgarnes") and to the
        address-like lines after it (city, region, country, postcode), then merge. Only a
        bounded stretch after each hit is read (TAIL_CHARS, LINE_MAX per line)."""
        out = []
        n = len(text)
        for s, e, sc in spans:
            if sc >= 0.6:
                # rest of the line: ", City 12345" or ", NY" (a tail never crosses a line break)
                tail = _LINE_TAIL.match(text, e, e + TAIL_CHARS)
                if tail and not _BLOCK_NOT.search(tail.group()):
                    # a full stop after a word or a number ends the address: "..., 61347
                    # Faure-les-Bains. The Chromebook ..." (not "Blvd." or "St.")
                    stop = _TAIL_STOP.search(text, e, tail.end())
                    e = stop.start() if stop else tail.end()
                # following lines of the block, at most four
                pos = e
                for _ in range(4):
                    if pos >= n:
                        break
                    if text[pos] != "\n":
                        blank = _BLANK_TO_EOL.match(text, pos)  # only blanks and commas left on the line
                        if blank is None:
                            break
                        pos = blank.end() - 1
                    nxt = text.find("\n", pos + 1, pos + 2 + LINE_MAX)
                    if nxt < 0:
                        if n - pos - 1 > LINE_MAX:
                            break  # a line this long is no address line
                        nxt = n
                    line = text[pos + 1:nxt]
                    # "95314 Grimmen Our server ...": a postcode and town, then a sentence
                    head = _POSTCODE_TOWN.match(line)
                    if head and not _BLOCK_LINE.match(line) and not _POSTAL_NOT.search(head.group()):
                        e = pos + 1 + head.end()
                        break
                    if not line.strip() or len(line.strip()) > 48 or _BLOCK_NOT.search(line):
                        break
                    if not _BLOCK_LINE.match(line):
                        break
                    e = pos + 1 + len(line.rstrip())
                    pos = nxt
            out.append((s, e, sc))
        out.sort()
        merged: list[list] = []
        for s, e, sc in out:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
                merged[-1][2] = max(merged[-1][2], sc)
            else:
                merged.append([s, e, sc])
        return [(s, e, sc) for s, e, sc in merged]
