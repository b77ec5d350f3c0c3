"""Hand-made broken inputs, one folder per source type, and what each must become.

Every file is generated here (nothing read from ../shared). ``EXPECTED`` lists, per
locator, the event an input must give: ``("record", n)`` for n records, or
``("rejected" | "skipped", reason prefix)``."""

from __future__ import annotations

import io
import json
import os
import random
from pathlib import Path
from typing import Any

from reliability_data import long_text

#: text that appears only inside <script>/<style> or in rejected inputs: never in a record
SCRIPT_CODE = "stealCookies(document.cookie)"
STYLE_CODE = "color:hotpink"
SECRET_IN_BROKEN = "Zaphod-Beeblebrox-7731"


def noise(n: int, seed: int) -> bytes:
    """``n`` random bytes (not text in any encoding)."""
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def jsonl_files(d: Path) -> dict[str, Any]:
    d.mkdir(parents=True)
    exp: dict[str, Any] = {}
    (d / "empty.jsonl").write_bytes(b"")  # no lines: no inputs
    (d / "binary.jsonl").write_bytes(noise(4096, 5).replace(b"\n", b"\x00"))
    exp["jsonl/binary.jsonl:1"] = ("rejected", "invalid utf-8")
    good = {"id": "bom-1", "q": "My invoice shows the wrong VAT rate.", "a": "We corrected it and sent a new invoice."}
    (d / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + json.dumps(good).encode() + b"\n")
    exp["jsonl/bom.jsonl:1"] = ("record", 1)
    mixed = [
        json.dumps({"id": "m-1", "q": "Café au lait machine leaks — ¿qué pasa? 🚰", "a": "Replace the seal."}, ensure_ascii=False).encode(),
        json.dumps({"id": "m-2", "q": f"Le café est froid {SECRET_IN_BROKEN}", "a": "ok"}, ensure_ascii=False).encode("latin-1"),
        json.dumps({"id": "m-3", "q": "Ünïcödé in UTF-16", "a": "ok"}).encode("utf-16"),
        b'{"id": "m-4", "q": "escaped caf\\u00e9 and a lone \\ud800 surrogate", "a": "ok"}',
        b'{"id": "m-5", "q": "NaN and huge numbers", "a": "ok", "n": NaN, "big": 1' + b"0" * 400 + b"}",
    ]
    (d / "mixed.jsonl").write_bytes(b"\n".join(mixed) + b"\n")
    exp["jsonl/mixed.jsonl:1"] = ("record", 1)
    exp["jsonl/mixed.jsonl:2"] = ("rejected", "invalid utf-8")
    exp["jsonl/mixed.jsonl:3"] = ("rejected", "invalid utf-8")
    exp["jsonl/mixed.jsonl:4"] = ("rejected", "")  # a lone surrogate is not text
    exp["jsonl/mixed.jsonl:5"] = ("record", 1)
    deep = '{"id": "deep", "q": "deep", "a": "ok", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    nested_meta = {"id": "nested-meta", "q": "A question with a deeply nested category", "a": "ok",
                   "category": json.loads("[" * 600 + "]" * 600)}
    (d / "nested.jsonl").write_text(deep + "\n" + json.dumps(nested_meta) + "\n")
    exp["jsonl/nested.jsonl:1"] = ("rejected", "invalid JSON: nested too deeply")
    exp["jsonl/nested.jsonl:2"] = ("record", 1)
    weird = [
        json.dumps({"id": None, "q": "no id", "a": "ok"}),
        json.dumps({"id": 12345678901234567890, "q": "numeric id", "a": "ok"}),
        json.dumps({"id": "list", "q": ["not", "text"], "a": "ok"}),
        json.dumps({"id": "obj", "q": {"nested": SECRET_IN_BROKEN}, "a": "ok"}),
        json.dumps("a string"),
        "null",
        json.dumps({"id": "nul", "q": "text with a \u0000 NUL byte", "a": "ok"}),
    ]
    (d / "weird.jsonl").write_text("\n".join(weird) + "\n")
    # a file name that is not UTF-8 (Latin-1 bytes, as old archives have them)
    with open(os.path.join(os.fsencode(d), b"n\xe4me.jsonl"), "wb") as fh:
        fh.write(json.dumps({"id": "latin1-name", "q": "Where is my parcel?", "a": "It left the depot today."}).encode() + b"\n")
    exp["jsonl/n\\udce4me.jsonl:1"] = ("record", 1)
    exp["jsonl/weird.jsonl:1"] = ("rejected", "missing id")
    exp["jsonl/weird.jsonl:2"] = ("record", 1)
    exp["jsonl/weird.jsonl:3"] = ("rejected", "user is a list")
    exp["jsonl/weird.jsonl:4"] = ("rejected", "user is a dict")
    exp["jsonl/weird.jsonl:5"] = ("rejected", "expected a JSON object")
    exp["jsonl/weird.jsonl:6"] = ("rejected", "expected a JSON object")
    exp["jsonl/weird.jsonl:7"] = ("record", 1)
    return exp


def csv_files(d: Path) -> dict[str, Any]:
    d.mkdir(parents=True)
    exp: dict[str, Any] = {}
    (d / "quotes.csv").write_bytes(
        b"\xef\xbb\xbfid,q,a\n"
        b'q1,"Line one\nLine ""two"", with a comma","Reply, quoted ""here""\nand a second line"\n'
        b'q2,"Tab\there and \r\nCRLF inside",ok\n'
        b"q3,plain,plain\n"
    )
    exp["csv/quotes.csv:2"] = ("record", 1)
    exp["csv/quotes.csv:5"] = ("record", 1)
    exp["csv/quotes.csv:7"] = ("record", 1)
    (d / "latin1.csv").write_bytes(
        b"id,q,a\nl1,fine,ok\n" + f"l2,caf\xe9 {SECRET_IN_BROKEN},ok\n".encode("latin-1") + b"l3,fine again,ok\n"
    )
    exp["csv/latin1.csv:2"] = ("record", 1)
    exp["csv/latin1.csv:3"] = ("rejected", "invalid utf-8")
    exp["csv/latin1.csv:4"] = ("record", 1)
    (d / "fields.csv").write_text("id,q,a\nf1,too,many,fields,here\nf2,short\nf3,right,count\n")
    exp["csv/fields.csv:2"] = ("rejected", "expected 3 fields, found 5")
    exp["csv/fields.csv:3"] = ("rejected", "expected 3 fields, found 2")
    exp["csv/fields.csv:4"] = ("record", 1)
    (d / "unterminated.csv").write_text('id,q,a\nu1,ok,ok\nu2,"never closed,ok\nu3,lost,lost\n')
    exp["csv/unterminated.csv:2"] = ("record", 1)
    exp["csv/unterminated.csv:3"] = ("rejected", "expected 3 fields, found 2")
    (d / "header-only.csv").write_text("id,q,a\n")
    (d / "empty.csv").write_bytes(b"")
    return exp


def _pdf_bytes(text_pages: list[str]) -> bytes:
    """A small valid PDF with one text line per page (pypdf writes the structure)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    w = PdfWriter()
    for t in text_pages:
        page = w.add_blank_page(612, 792)
        font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                                 NameObject("/BaseFont"): NameObject("/Helvetica")})
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): w._add_object(font)})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({t}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = w._add_object(stream)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_bytes(["Secret manual page"]))))
    w.encrypt(user_password="reader-pass", owner_password="owner-pass")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def docs_files(d: Path) -> dict[str, Any]:
    d.mkdir(parents=True)
    exp: dict[str, Any] = {}
    (d / "script.html").write_text(
        "<!doctype html><html><head><title>Reset your router</title>"
        f"<style>body {{ {STYLE_CODE} }}</style><script>{SCRIPT_CODE}</script></head>"
        "<body><nav>Home | Products | Support</nav><main><h1>Reset your router</h1>"
        "<p>Hold the reset button for ten seconds until the light blinks.</p>"
        f"<script type='text/javascript'>var x = 1; {SCRIPT_CODE};</script>"
        "<h2>Still not working?</h2><p>Unplug the router, wait a minute and plug it in again.</p>"
        f"<p onclick=\"{SCRIPT_CODE}\">Contact support if the light stays red.</p></main></body></html>"
    )
    exp["script.html"] = ("record", None)  # one or more chunks
    (d / "only-script.html").write_text(f"<html><body><script>{SCRIPT_CODE}</script></body></html>")
    exp["only-script.html"] = ("skipped", "empty_document")
    (d / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + noise(3000, 3))
    exp["garbage.pdf"] = ("rejected", "not a readable PDF")
    good = _pdf_bytes(["Printer setup guide", "Load paper in tray two"])
    (d / "truncated.pdf").write_bytes(good[: len(good) // 2])
    exp["truncated.pdf"] = ("rejected", "not a readable PDF")
    (d / "encrypted.pdf").write_bytes(_encrypted_pdf())
    exp["encrypted.pdf"] = ("rejected", "encrypted PDF")
    (d / "good.pdf").write_bytes(good)
    exp["good.pdf"] = ("record", None)
    (d / "binary.md").write_bytes(noise(2000, 4))
    exp["binary.md"] = ("rejected", "invalid utf-8")
    (d / "empty.md").write_bytes(b"")
    exp["empty.md"] = ("skipped", "empty_document")
    (d / "bom.md").write_bytes(b"\xef\xbb\xbf# Warranty\n\nThe warranty lasts two years from the date of purchase.\n")
    exp["bom.md"] = ("record", None)
    with open(os.path.join(os.fsencode(d), b"caf\xe9.md"), "wb") as fh:
        fh.write(b"# Descaling\n\nDescale the espresso machine every month.\n")
    exp["caf\\udce9.md"] = ("record", 1)
    (d / "bad.docx").write_bytes(b"PK\x03\x04 this is not a zip archive")
    exp["bad.docx"] = ("rejected", "not a readable DOCX")
    return exp


def _eml(headers: list[str], body: str | bytes) -> bytes:
    b = body if isinstance(body, bytes) else body.encode()
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + b


def email_files(d: Path) -> dict[str, Any]:
    d.mkdir(parents=True)
    exp: dict[str, Any] = {}
    base = ["From: Pat Doe <pat@customer.example>", "To: help@support.example.com", "Date: Tue, 05 Mar 2024 09:00:00 +0000"]
    (d / "good.eml").write_bytes(_eml(base + ["Subject: Broken lid", "Message-ID: <good@x>"], "My kettle lid broke after a week."))
    exp["email/good.eml"] = ("record", 1)
    (d / "no-from.eml").write_bytes(_eml(["To: help@support.example.com", "Subject: hi", "Message-ID: <nofrom@x>"],
                                         f"Who am I? {SECRET_IN_BROKEN}"))
    exp["email/no-from.eml"] = ("rejected", "malformed message: no From header")
    (d / "binary.eml").write_bytes(noise(1500, 6))
    exp["email/binary.eml"] = ("rejected", "malformed message")
    (d / "empty.eml").write_bytes(b"")
    exp["email/empty.eml"] = ("rejected", "malformed message: empty file")
    (d / "bad-base64.eml").write_bytes(_eml(
        base + ["Subject: attachment", "Message-ID: <b64@x>", "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"],
        "!!!! this is not base64 @@@@ " + SECRET_IN_BROKEN))
    exp["email/bad-base64.eml"] = ("any", "")
    (d / "unknown-charset.eml").write_bytes(_eml(
        base + ["Subject: =?x-unknown-42?Q?Caf=E9?=", "Message-ID: <cs@x>", "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=x-unknown-42"], b"caf\xe9 au lait, the machine is broken"))
    exp["email/unknown-charset.eml"] = ("any", "")
    (d / "truncated.eml").write_bytes(_eml(
        base + ["Subject: parts", "Message-ID: <trunc@x>", "MIME-Version: 1.0",
                'Content-Type: multipart/mixed; boundary="XYZ"'],
        "--XYZ\r\nContent-Type: text/plain\r\n\r\nfirst part, and then the file ends"))
    exp["email/truncated.eml"] = ("any", "")
    depth = 2000
    nested = "".join(f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n' for i in range(depth))
    (d / "nested.eml").write_bytes(_eml(base + ["Subject: deep", "Message-ID: <deep@x>", "MIME-Version: 1.0",
                                                'Content-Type: multipart/mixed; boundary="b0"'],
                                        nested + f"--b{depth}\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n"))
    exp["email/nested.eml"] = ("rejected", "malformed message: MIME parts nested too deeply")
    (d / "long-header.eml").write_bytes(_eml(base + ["Subject: " + "x" * 200_000, "Message-ID: <long@x>"], "body"))
    exp["email/long-header.eml"] = ("any", "")
    return exp


def bad_input_project(folder: Path) -> tuple[Path, dict[str, Any]]:
    """Every kind of bad input in one project; returns the config and the expected events."""
    from reliability_data import base_config, write_config

    exp: dict[str, Any] = {}
    exp |= jsonl_files(folder / "jsonl")
    exp |= csv_files(folder / "csv")
    exp |= docs_files(folder / "docs")
    exp |= email_files(folder / "email")
    fields = {"id": "id", "user": "q", "assistant": "a", "meta": ["category"]}
    cfg = base_config(
        "bad",
        [
            {"type": "jsonl", "name": "j", "path": "jsonl", "fields": fields},
            {"type": "csv", "name": "c", "path": "csv", "fields": {"id": "id", "user": "q", "assistant": "a"}},
            {"type": "docs", "name": "d", "path": "docs"},
            {"type": "email", "name": "e", "path": "email", "support_domains": ["support.example.com"]},
        ],
        redact={"enabled": False},
        embed={"enabled": True, "threads": 1},
        select={"enabled": True, "budget": 1000},
        export={"system_prompt": "You are a helpful support agent.", "split": {"eval": 0}},
    )
    return write_config(folder / "curate.yaml", cfg), exp


def big_record_project(folder: Path, email: str) -> Path:
    """Two ordinary tickets and one of about 1 MB (a pasted log, 20 of the redactor's
    50,000-character pieces), with ``email`` planted at its start and its end. (A 10 MB
    record takes minutes to redact on 2 cores: sizes beyond ``max_record_bytes`` are the
    security tests' business, the time per piece the PII benchmarks'.)"""
    from reliability_data import base_config, write_config

    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"id": "small-1", "q": "The app logs me out every hour since the update.", "a": "Clear the cache, then log in again."},
        {"id": "small-2", "q": "Can I change the billing date of my plan?", "a": "Yes, under Settings > Billing."},
        {"id": "big", "q": f"Please reply to {email}. Here is the log: " + long_text(160_000, 9) + f" Again: {email}",
         "a": "Thanks, the log shows a full disk on your server."},
    ]
    (folder / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    cfg = base_config(
        "big", [{"type": "jsonl", "path": "t.jsonl", "fields": {"id": "id", "user": "q", "assistant": "a"}}],
        embed={"enabled": False},
        select={"enabled": True, "strategy": "random", "budget": 10},
        filter={"max_chars": None},
        export={"split": {"eval": 0}},
    )
    return write_config(folder / "curate.yaml", cfg)
