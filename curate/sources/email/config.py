"""The email source's settings."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from curate.sources.base import SourceConfig, check_path
from curate.sources.roots import SymlinkPolicy, symlinks_field
from curate.sources.subject import subject_field


class EmailSourceConfig(SourceConfig):
    """Mail from an mbox file, a folder of .eml files or a Maildir."""

    path: str = Field(description="An mbox file, a single .eml, or a folder (of .eml files, a Maildir, or mboxes), relative to the config file.")
    format: Literal["auto", "mbox", "eml", "maildir"] = Field(
        default="auto",
        description="How to read `path`: auto (a file starting with 'From ' is an mbox, a folder is walked: "
        "files ending in .mbox are mboxes, Maildir tmp/ folders are left out, every other file is one message), "
        "or force one format.",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Glob patterns (relative to `path`) of files to leave out, e.g. ['README*', 'spam/**'].",
    )
    support_addresses: list[str] = Field(
        default_factory=list, description="Sender addresses whose messages are assistant turns (case-insensitive)."
    )
    support_domains: list[str] = Field(
        default_factory=list,
        description="Sender domains whose messages are assistant turns (subdomains included), e.g. ['acme.com'].",
    )
    thread: bool = Field(default=True, description="Group messages into threads; false makes every message its own Record.")
    strip_quotes: bool = Field(default=True, description="Remove quoted replies ('>' lines, 'On ... wrote:', Outlook 'Original Message' blocks).")
    strip_signatures: bool = Field(default=True, description="Remove signatures ('-- ' blocks, 'Sent from my ...', mailing-list footers).")
    signature_patterns: list[str] = Field(
        default_factory=list,
        description="Extra regular expressions; a line matching one starts a signature (everything from it on is removed).",
    )
    reject_duplicate_headers: bool = Field(
        default=True,
        description="Reject a message that gives a once-only header (From, To, Cc, Subject, Date, Message-ID, ...) twice with different values.",
    )
    max_message_bytes: int = Field(
        default=25 * 1024 * 1024,
        gt=0,
        description="Largest message, in bytes, attachments included (a mail server's usual limit is 25 MB); "
        "a larger one is a reject, read past without being held in memory.",
    )
    subject_in_user_turn: bool = subject_field()
    symlinks: SymlinkPolicy = symlinks_field()

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        return check_path(v, info)

    @field_validator("signature_patterns")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        for pat in v:
            try:
                re.compile(pat)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pat!r}: {exc}") from None
        return v
