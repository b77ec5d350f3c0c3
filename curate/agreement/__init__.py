"""Agreement between reviewers: chance-corrected statistics per field, label and
reviewer with bootstrap intervals, and the per-item rule that routes disagreements to
adjudication. See docs/agreement.md.

Names are imported on first use, so reading the configuration (which needs only
:class:`AgreementRule`) does not load numpy, scipy and polars."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AgreementRule": "curate.agreement.rule",
    "FieldRule": "curate.agreement.rule",
    "LEVELS": "curate.agreement.levels",
    "cohen_kappa": "curate.agreement.coefficients",
    "compute_agreement": "curate.agreement.compute",
    "fleiss_kappa": "curate.agreement.coefficients",
    "item_agreement": "curate.agreement.items",
    "items_to_adjudicate": "curate.agreement.items",
    "krippendorff_alpha": "curate.agreement.coefficients",
}
_RENAMED = {"LEVELS": "KINDS"}

__all__ = [
    "LEVELS",
    "AgreementRule",
    "FieldRule",
    "cohen_kappa",
    "compute_agreement",
    "fleiss_kappa",
    "item_agreement",
    "items_to_adjudicate",
    "krippendorff_alpha",
]

if TYPE_CHECKING:  # pragma: no cover
    from curate.agreement.coefficients import cohen_kappa, fleiss_kappa, krippendorff_alpha
    from curate.agreement.compute import compute_agreement
    from curate.agreement.items import item_agreement, items_to_adjudicate
    from curate.agreement.levels import KINDS as LEVELS
    from curate.agreement.rule import AgreementRule, FieldRule


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'curate.agreement' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value
