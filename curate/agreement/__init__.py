"""Agreement between reviewers: chance-corrected statistics per field, label and
reviewer with bootstrap intervals, and the per-item rule that routes disagreements to
adjudication. See docs/agreement.md."""

from curate.agreement.coefficients import cohen_kappa, fleiss_kappa, krippendorff_alpha
from curate.agreement.compute import compute_agreement
from curate.agreement.items import item_agreement, items_to_adjudicate
from curate.agreement.levels import KINDS as LEVELS
from curate.agreement.rule import AgreementRule, FieldRule

__all__ = [
    "AgreementRule",
    "FieldRule",
    "LEVELS",
    "cohen_kappa",
    "compute_agreement",
    "fleiss_kappa",
    "item_agreement",
    "items_to_adjudicate",
    "krippendorff_alpha",
]
