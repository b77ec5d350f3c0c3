"""Language: keep only the configured languages. ``meta.language`` (or ``lang``,
``locale``) when the source gives one, else py3langid on the first 2,000 characters."""

from __future__ import annotations

from typing import Any

from curate.filter.base import Check, Row, Verdict, register


def meta_language(meta: dict[str, Any]) -> str | None:
    for key in ("language", "lang", "locale"):
        v = meta.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip().lower().replace("_", "-").split("-")[0]
    return None


class LanguageDetector:
    """py3langid (97 languages, model shipped in the package)."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)

    def __call__(self, text: str) -> str:
        return str(self._ident.classify(text[:2000])[0])


@register
class LanguageCheck(Check):
    name = "language"
    reasons = ("wrong_language",)

    def __init__(self, languages: list[str]):
        super().__init__()
        self.wanted = {lang.lower() for lang in languages}
        self._detector: LanguageDetector | None = None

    @classmethod
    def builtin(cls, config, turns):
        return cls(config.languages) if config.languages else None

    def __getstate__(self) -> dict[str, Any]:
        # the detector's model is loaded where the check runs (setup), not shipped to workers
        return {**self.__dict__, "_detector": None}

    def setup(self) -> None:
        if self._detector is None:
            self._detector = LanguageDetector()

    def check(self, row: Row) -> Verdict | None:
        lang, how = meta_language(row.meta), "meta.language"
        if lang is None:
            self.setup()
            assert self._detector is not None
            lang, how = self._detector(row.text), "detected"
        if lang not in self.wanted:
            return Verdict("wrong_language", f"language {lang} ({how}), not in {', '.join(sorted(self.wanted))}")
        return None
