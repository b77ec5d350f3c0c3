"""Synthetic support tickets for the reliability tests: generated, deterministic, with
planted PII (every value listed in :data:`PLANTED`), exact and near duplicates, records
the quality filter drops, and a decontamination file that overlaps a few tickets. Nothing
here reads ../shared."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import yaml

from curate.pii.config import DEFAULT_ENTITIES

ROOT = Path(__file__).resolve().parents[2]

#: Every planted value. Fake, but in the shapes the redaction must catch: full names in
#: greetings, sign-offs and prose, emails, phones in several national formats, payment
#: cards (Luhn-valid test numbers), IBANs (valid checksums), US SSNs, street addresses and
#: API keys with known prefixes.
PLANTED: dict[str, str] = {
    "name_1": "Margaret Thornbury",
    "name_2": "Desmond Okafor",
    "name_3": "Ingrid Halvorsen",
    "name_4": "Rafael Domingues",
    "agent_1": "Priya Raghunathan",
    "agent_2": "Tobias Wendland",
    "email_1": "margaret.thornbury@example.org",
    "email_2": "d.okafor77@mailbox.example.net",
    "email_3": "ingrid.h@example.co.uk",
    "phone_us": "(415) 555-0132",
    "phone_uk": "+44 20 7946 0321",
    "phone_de": "+49 30 901820",
    "card_visa": "4111 1111 1111 1111",
    "card_mc": "5555 5555 5555 4444",
    "card_amex": "3782 822463 10005",
    "iban_de": "DE89 3704 0044 0532 0130 00",
    "iban_gb": "GB82 WEST 1234 5698 7654 32",
    "ssn": "219-09-9999",
    "street_1": "742 Evergreen Terrace",
    "street_2": "1600 Amphitheatre Parkway",
    "aws_key": "AKIAIOSFODNN7EXAMPLE",
    "stripe_key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "github_token": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
}

#: planted values that are not names: these must never be found anywhere but ingest
STRUCTURED = [k for k in PLANTED if not k.startswith(("name_", "agent_"))]

PRODUCTS = ["Nimbus Router X2", "Lumen Desk Lamp", "Orbit Smartwatch", "Atlas Backpack", "Vega Coffee Grinder"]
INTENTS = {
    "refund": (
        "I returned the {product} two weeks ago and still have no refund for order {order}. {detail}",
        "Sorry for the wait. The refund for order {order} was approved today and reaches your account in 3-5 business days.",
    ),
    "password": (
        "I cannot log in since version {version}: the password reset mail never arrives. {detail}",
        "I have re-sent the reset link. Please check the spam folder; the link is valid for 24 hours.",
    ),
    "shipping": (
        "My {product} (order {order}) was supposed to arrive on Monday but tracking has not moved. {detail}",
        "The parcel was held at the depot. It is back on the road and should arrive within two days.",
    ),
    "invoice": (
        "Could you send me a copy of the invoice for order {order}? Our accounting needs it. {detail}",
        "The invoice for order {order} is attached to this reply. You can also download it from your account page.",
    ),
    "cancel": (
        "Please cancel my subscription before the next billing date. {detail}",
        "Your subscription is cancelled; you keep access until the end of the current period.",
    ),
    "crash": (
        "The app crashes with error 0x{code} right after the splash screen on version {version}. {detail}",
        "Thanks for the report. Version {version} has a known issue with cached settings; please update to the latest release.",
    ),
    "address": (
        "I moved and need to change the delivery address on my account. {detail}",
        "Done: the new address is saved and will be used for your next orders.",
    ),
    "billing": (
        "I was charged twice for the same order {order}. {detail}",
        "You are right, the second charge was an error. We refunded it; it shows in 2-3 days.",
    ),
}

DETAILS = [
    "My card is {card_visa} if you need to check the charge.",
    "You can reach me at {phone_us} or by email at {email_1}.",
    "Please send the money to IBAN {iban_de}.",
    "The new address is {street_1}, Springfield, OR 97403.",
    "For the tax form my SSN is {ssn}.",
    "Our integration uses the key {aws_key} and it stopped working.",
    "Call me on {phone_uk} any time after 5pm.",
    "I paid with my Mastercard {card_mc}.",
    "Refunds should go to {iban_gb} please.",
    "Ship it to {street_2}, Mountain View, CA 94043 instead.",
    "The Stripe key in the logs is {stripe_key}, is that a problem?",
    "Our CI token {github_token} was in the error output.",
    "My Amex {card_amex} shows the double charge.",
    "Phone: {phone_de}, email {email_3}.",
    "You can write to {email_2} as well.",
    "Nothing else to add.",
]


def _fill(template: str, **kw: str) -> str:
    return template.format(**PLANTED, **kw)


def tickets(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` tickets with an id, subject, question, answer, requester and category.

    Every ``DETAILS`` line (so every planted value) appears at least once when
    ``n >= len(DETAILS)``; names appear in greetings, sign-offs and prose."""
    rng = random.Random(seed)
    names = [PLANTED[k] for k in PLANTED if k.startswith("name_")]
    agents = [PLANTED[k] for k in PLANTED if k.startswith("agent_")]
    emails = [PLANTED["email_1"], PLANTED["email_2"], PLANTED["email_3"]]
    out = []
    for i in range(n):
        intent = list(INTENTS)[i % len(INTENTS)]
        q_t, a_t = INTENTS[intent]
        kw = {
            "product": rng.choice(PRODUCTS),
            "order": f"{rng.randint(100000, 999999)}",
            "version": f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
            "code": f"{rng.randint(0x1000, 0xFFFF):04X}",
        }
        detail = _fill(DETAILS[i % len(DETAILS)])
        name = names[i % len(names)]
        agent = agents[i % len(agents)]
        question = f"Hi,\n\n{_fill(q_t, detail=detail, **kw)}\n\nThanks,\n{name}"
        answer = f"Hi {name.split()[0]},\n\n{_fill(a_t, **kw)}\n\nBest regards,\n{agent}"
        out.append({
            "id": f"T-{i:05d}",
            "subject": f"{intent.title()} request from {name}" if i % 5 == 0 else f"{intent.title()} question",
            "question": question,
            "answer": answer,
            "requester": emails[i % len(emails)],
            "category": intent,
            "priority": ["low", "normal", "high"][i % 3],
        })
    return out


def with_duplicates(rows: list[dict[str, Any]], exact: int, near: int, seed: int = 11) -> list[dict[str, Any]]:
    """``rows`` plus ``exact`` verbatim copies (new ids) and ``near`` copies with one word
    changed at the end of the answer."""
    rng = random.Random(seed)
    out = list(rows)
    for k in range(exact):
        src = dict(rng.choice(rows))
        src["id"] = f"X-{k:05d}"
        out.append(src)
    for k in range(near):
        src = dict(rng.choice(rows))
        src["id"] = f"N-{k:05d}"
        src["answer"] = src["answer"] + " Have a nice day."
        out.append(src)
    return out


def quality_drops(count: int) -> list[dict[str, Any]]:
    """Tickets the select stage's quality filter drops: too short, or no agent reply."""
    out = []
    for k in range(count):
        if k % 2:
            out.append({"id": f"S-{k:05d}", "subject": "", "question": "help?", "answer": "", "requester": "",
                        "category": "other", "priority": "low"})
        else:
            out.append({"id": f"U-{k:05d}", "subject": "Unanswered",
                        "question": f"My order number {700000 + k} never arrived and nobody answers my mails.",
                        "answer": "", "requester": "", "category": "shipping", "priority": "low"})
    return out


def write_jsonl(path: Path, rows: list[dict[str, Any]], junk_lines: int = 0) -> Path:
    """Write rows, then ``junk_lines`` lines that are rejected (malformed JSON, objects
    without text), interleaved so rejects appear all through the file."""
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    junk = ['{"id": "broken", "question": "unterminated', '{"id": "empty", "question": "", "answer": ""}', "[1, 2, 3]"]
    if junk_lines:
        step = max(1, len(lines) // junk_lines) if lines else 1
        mixed: list[str] = []
        j = 0
        for i, line in enumerate(lines):
            mixed.append(line)
            if i % step == 0 and j < junk_lines:
                mixed.append(junk[j % len(junk)])
                j += 1
        mixed.extend(junk[k % len(junk)] for k in range(j, junk_lines))
        lines = mixed
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TICKET_FIELDS = {"id": "id", "title": "subject", "user": "question", "assistant": "answer",
                 "meta": ["requester", "category", "priority"]}


def eml(message_id: str, sender: str, subject: str, body: str, in_reply_to: str | None = None) -> bytes:
    head = [f"From: {sender}", "To: help@support.example.com", f"Subject: {subject}",
            "Date: Mon, 04 Mar 2024 10:00:00 +0000", f"Message-ID: <{message_id}>"]
    if in_reply_to:
        head.append(f"In-Reply-To: <{in_reply_to}>")
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def write_mail_folder(folder: Path) -> Path:
    """A few .eml threads, a duplicate copy (skipped) and a malformed message (rejected)."""
    folder.mkdir(parents=True, exist_ok=True)
    p = PLANTED
    (folder / "001.eml").write_bytes(eml("a1@mail.example", f"{p['name_3']} <{p['email_3']}>", "Router keeps rebooting",
                                         f"Hello,\n\nmy Nimbus Router X2 reboots every hour since firmware 3.2.1.\n"
                                         f"Call me at {p['phone_de']}.\n\nThanks,\n{p['name_3']}"))
    (folder / "002.eml").write_bytes(eml("a2@mail.example", "Support <help@support.example.com>", "Re: Router keeps rebooting",
                                         "Hi,\n\nplease downgrade to firmware 3.2.0 while we fix the bug.\n\nBest,\nSupport",
                                         in_reply_to="a1@mail.example"))
    (folder / "003.eml").write_bytes((folder / "001.eml").read_bytes())  # a duplicate copy
    (folder / "004.eml").write_bytes(b"this is not an email at all\x00\x01")
    return folder


def base_config(name: str, sources: list[dict[str, Any]], **sections: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {"name": name, "sources": sources}
    cfg.update(sections)
    return cfg


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def planted_in(blob: str, keys: list[str] | None = None) -> list[str]:
    """The keys of planted values found in ``blob``."""
    return [k for k in (keys or list(PLANTED)) if PLANTED[k] in blob]


#: a public IP, planted in a few tickets; the drops build leaves IP addresses out of the
#: entities it redacts, so the residual check quarantines those records: a drop in redact
RESIDUAL_IP = "81.2.69.160"


def drops_project(folder: Path, n: int = 120, junk_lines: int = 40, name: str = "drops") -> Path:
    """A project whose build drops records in every stage that can drop: ingest (rejects
    and a skipped duplicate email copy), redact (residual IPs quarantined), dedupe (exact
    and near duplicates), select (quality filter and budget) and export (decontamination).
    Returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = tickets(n)
    for k in range(0, n, 25):  # a few tickets carry an IP the redaction is told to keep
        rows[k] = {**rows[k], "question": rows[k]["question"] + f"\n\nIt fails from IP {RESIDUAL_IP} only."}
    rows = with_duplicates(rows, exact=max(2, n // 20), near=max(2, n // 20)) + quality_drops(6)
    write_jsonl(folder / "tickets.jsonl", rows, junk_lines=junk_lines)
    write_mail_folder(folder / "mail")
    # the benchmark file shares a whole answer with the tickets of one intent
    bench = [{"question": "How do I cancel?", "answer": INTENTS["cancel"][1]}]
    (folder / "benchmark.jsonl").write_text("\n".join(json.dumps(b) for b in bench) + "\n")
    cfg = base_config(
        name,
        [
            {"type": "jsonl", "name": "tickets", "path": "tickets.jsonl", "fields": TICKET_FIELDS},
            {"type": "email", "name": "mail", "path": "mail", "support_domains": ["support.example.com"]},
        ],
        redact={"meta_fields": ["requester"], "entities": [e for e in DEFAULT_ENTITIES if e != "IP_ADDRESS"]},
        dedupe={"enabled": True},
        embed={"enabled": True, "threads": 1},
        select={"enabled": True, "budget": max(10, n // 3)},
        export={"system_prompt": "You are a helpful support agent.", "split": {"eval": 0.2},
                "decontaminate": {"files": ["benchmark.jsonl"], "n": 8}},
        # small batches: redact runs in a pool of worker processes, writing batch by batch
        engine={"stages": {"redact": {"batch_size": 16}}},
    )
    return write_config(folder / "curate.yaml", cfg)


def long_text(words: int, seed: int) -> str:
    """Lower-case pseudo-words from a large vocabulary: text that compresses poorly (so
    the tables are big) and holds nothing a PII recognizer takes for a name or a number."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ra", "te", "su", "vo", "ne", "pi", "da", "go", "fu", "ze", "bri", "sto", "wan"]
    vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(20000)]
    return " ".join(rng.choice(vocab) for _ in range(words))


def disk_project(folder: Path, n: int = 30, name: str = "disk") -> Path:
    """A small project whose tables are large for their record count (a few long records):
    every stage writes more than a few pages, so a nearly full disk fails inside it."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = tickets(n, seed=3)
    for k in range(3):
        rows[k] = {**rows[k], "answer": rows[k]["answer"] + "\n\n" + long_text(4000, seed=k)}
    write_jsonl(folder / "tickets.jsonl", rows)
    cfg = base_config(
        name,
        [{"type": "jsonl", "name": "tickets", "path": "tickets.jsonl", "fields": TICKET_FIELDS}],
        redact={"meta_fields": ["requester"]},
        embed={"enabled": True, "threads": 1},
        select={"enabled": True, "budget": n},
        filter={"max_chars": None},
        export={"system_prompt": "You are a helpful support agent.", "split": {"eval": 0.2}},
    )
    return write_config(folder / "curate.yaml", cfg)
