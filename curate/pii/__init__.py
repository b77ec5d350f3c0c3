"""PII redaction with Presidio.

- ``config``: the ``redact:`` section (entities, operators, residual check, model, secret names).
- ``engine``: the Presidio analyzer with an offline, NER-only spaCy (or transformers) model.
- ``recognizers``: what Presidio lacks for support data (names in greetings and sign-offs,
  addresses, international phones, cards, secrets, IPs, usernames, your own patterns).
- ``technical``: version numbers, error codes and product names that must survive.
- ``operators``, ``pseudonyms``, ``crypto``, ``secrets``: replace / pseudonymize / mask /
  hash / encrypt / keep, with secrets from the environment only.
- ``residual``: the independent check over the redacted output.
- ``redactor``: whole records (title, turns, metadata), numbered consistently per record.
- ``stage``: the ``redact`` batch stage.
"""
