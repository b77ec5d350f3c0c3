"""Email: an mbox file, a folder of ``.eml`` files, or a Maildir, threaded into
conversations.

- **Threads.** Messages linked by ``Message-ID`` / ``In-Reply-To`` / ``References`` become
  one Record (kind ``email``), its turns in date order. A reply whose parent is missing
  still joins its siblings through the ``References`` they share.
- **Roles.** A message from one of ``support_addresses`` or ``support_domains`` is an
  ``assistant`` turn; every other message is a ``user`` turn.
- **Text.** MIME is decoded (charsets, quoted-printable, base64); an HTML-only message is
  turned into text with an HTML parser. Quoted replies (``>`` lines, "On ... wrote:",
  Outlook's "-----Original Message-----" blocks) and signatures (``-- ``, "Sent from my
  ...", mailing-list footers) are stripped. A forward with nothing of its own keeps the
  forwarded text.
- **Attachments** are counted in ``meta`` (``attachments``), never ingested.
- **Duplicates.** A second copy of a message (same ``Message-ID``, e.g. a message that
  reached the mailbox through two lists) is skipped with reason ``duplicate_copy``.
- **Malformed messages** (no header block, no ``From``, a header that RFC 5322 allows once
  given twice with different values, a broken MIME structure, undecodable text) are
  rejects naming the file and the reason, never the text.

Events: one per thread (its Record), one per duplicate copy (a Skip) and one per malformed
message (a Reject). ``meta`` of a thread holds ``message_count``, ``attachments``,
``date_first`` / ``date_last``, ``support_messages`` and the files it came from.

Example::

    sources:
      - type: email
        name: support-inbox
        path: mail/support.mbox          # an mbox, a folder of .eml files, or a Maildir
        support_domains: [acme.com]
        support_addresses: [help@acme-mail.net]
"""

from curate.sources.email.adapter import EmailSource
from curate.sources.email.cleaning import clean_body, strip_quotes, strip_signature
from curate.sources.email.config import EmailSourceConfig
from curate.sources.email.mbox import mbox_messages, split_mbox
from curate.sources.email.parse import Mail, Malformed, parse_message
from curate.sources.email.threads import group_threads, thread_subject

__all__ = [
    "EmailSource",
    "EmailSourceConfig",
    "Mail",
    "Malformed",
    "clean_body",
    "group_threads",
    "mbox_messages",
    "parse_message",
    "split_mbox",
    "strip_quotes",
    "strip_signature",
    "thread_subject",
]
