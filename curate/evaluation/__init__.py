"""Blind human evaluation of model outputs, and automatic metrics, against the gold
benchmark (``curate eval``; docs/evaluation.md).

- ``config``: the ``human_eval:`` section of curate.yaml.
- ``benchmark``: reading ``benchmark.jsonl`` and the systems' predictions files.
- ``sampling``: a sample stratified like the benchmark; the blind letters per item.
- ``plan``: the sample and its letters, made on the first push, tied to its inputs.
- ``folder``: the eval folder (settings, sample, letters, Label Studio state, ratings).
- ``redaction``: predictions (and the items shown with them) through the run's redaction.
- ``template``: the Label Studio label config and the reviewer guide (``labeling/``).
- ``push`` / ``pull``: the Label Studio project, idempotent import, annotations to ratings.
- ``ratings``: the ratings table, from a pull or from a file collected elsewhere.
- ``stats``: means with bootstrap intervals, pairwise win/tie/loss with a sign test,
  agreement between raters.
- ``metrics``: exact match, token F1, ROUGE-L, embedding similarity.
- ``report`` / ``render``: the JSON report and the terminal tables.
"""
