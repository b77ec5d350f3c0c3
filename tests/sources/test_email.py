"""Email: threading, roles, quote and signature stripping, MIME decoding, attachments,
duplicate copies and malformed messages, on the Enron sample and hand-made mail."""

from __future__ import annotations

import json
import mailbox
import shutil
from pathlib import Path

import pytest

from curate.config import load_config
from curate.errors import ConfigError
from curate.sources.base import Reject, Skip, SourceState, get_source_class
from curate.sources.email import clean_body, split_mbox

FIX = Path(__file__).resolve().parents[1] / "fixtures/sources/email"


def read(tmp_path: Path, base: Path, **cfg):
    cls = get_source_class("email")
    conf = cls.Config.model_validate({"type": "email", **cfg}, context={"base_dir": base})
    events = list(cls(conf, base).read(SourceState(tmp_path / "state.json")))
    recs = [e for e in events if isinstance(e, dict)]
    return events, recs


def test_support_maildir_threads_roles_and_duplicates(tmp_path):
    events, recs = read(tmp_path, FIX, path="support", support_domains=["acme.example"])
    skips = [e for e in events if isinstance(e, Skip)]
    assert [(s.locator, s.reason) for s in skips] == [("support/cur/1700000002.M2P1.host", "duplicate_copy")]  # .Archive was read first
    assert not [e for e in events if isinstance(e, Reject)]
    assert len(recs) == 2  # tmp/ is not read: that message is still being delivered
    mug = next(r for r in recs if r["title"] == "Broken mug in order 4411")
    assert mug["kind"] == "email" and mug["source"] == "email:support"
    assert [m["role"] for m in mug["messages"]] == ["user", "assistant", "user", "assistant"]
    first, reply, html_only, last = (m["content"] for m in mug["messages"])
    assert "café-style mug" in first  # quoted-printable, ISO-8859-1
    assert reply.startswith("Hi Anna,") and "replacement mug" in reply  # base64 UTF-8 plain part chosen
    assert "wrote:" not in reply and "arrived broken" not in reply  # quote stripped
    assert "555 0100" not in reply  # signature stripped
    assert html_only == "Thank you! The new one arrived and it is fine.\n\nOne more question: can I return the broken one?"
    assert last == "No need to return it, please recycle it. Enjoy the new mug!"
    meta = json.loads(mug["meta"])
    assert meta["message_count"] == 4 and meta["attachments"] == 1 and meta["attachment_types"] == {"image/jpeg": 1}
    assert meta["support_messages"] == 2 and meta["html_only_messages"] == 1
    assert meta["date_first"] == "2023-11-13T09:00:00+01:00"
    assert mug["locator"] == "support/cur/1700000001.M1P1.host"
    # a thread whose first message is missing is held together by the shared reference;
    # help.acme.example is a subdomain of a support domain
    invoice = next(r for r in recs if r["title"] == "Invoice question")
    assert [m["role"] for m in invoice["messages"]] == ["user", "assistant"]


def test_ids_are_stable_and_free_of_addresses(tmp_path):
    _, a = read(tmp_path, FIX, path="support")
    _, b = read(tmp_path, FIX, path="support")
    assert [r["id"] for r in a] == [r["id"] for r in b]
    assert all("@" not in r["id"] for r in a)


def test_support_addresses_and_no_threading(tmp_path):
    _, recs = read(tmp_path, FIX, path="support", support_addresses=["BEN@acme.example"], thread=False)
    assert len(recs) == 6
    roles = {r["messages"][0]["content"][:12]: r["messages"][0]["role"] for r in recs}
    assert roles["Hi Anna,\n\nso"] == "assistant" and roles["Yes, invoice"] == "user"  # dana@ is not listed


def test_malformed_messages_are_rejected_with_file_and_reason(tmp_path):
    events, recs = read(tmp_path, FIX, path="broken")
    rejects = {e.locator: e.reason for e in events if isinstance(e, Reject)}
    assert rejects == {
        "broken/bad-base64.eml": "malformed message: invalid base64 in a text part",
        "broken/empty.eml": "malformed message: empty file",
        "broken/no-from.eml": "malformed message: no From header",
        "broken/not-an-email.txt": "malformed message: not an email message (no header block)",
        "broken/truncated.eml": "malformed message: multipart message cut short (closing boundary missing)",
        "broken/two-from.eml": "malformed message: header From appears 2 times (RFC 5322 allows one)",
    }
    skips = [(e.locator, e.reason) for e in events if isinstance(e, Skip)]
    assert skips == [("broken/encrypted.eml", "encrypted")]
    assert [r["title"] for r in recs] == ["a normal question"]
    # every input message has exactly one event (good.eml is its own thread)
    assert len(events) == len(list((FIX / "broken").iterdir()))


def test_enron_sample(tmp_path):
    events, recs = read(tmp_path, FIX, path="enron", support_domains=["enron.com"])
    assert len(recs) == 8 and len(events) == 8
    by_file = {json.loads(r["meta"])["files"][0].split("/")[-1]: r for r in recs}
    # a forward with nothing of its own keeps the forwarded message, without its headers
    fw = by_file["arnold-j__notes_inbox__46.eml"]
    assert fw["title"] == "COB 05.15.01 PNL Estimate"  # "FW:" removed
    text = fw["messages"][0]["content"]
    assert text.startswith("The gas desk lost $13MM.") and "Original Message" not in text and "Sent:" not in text
    assert fw["messages"][0]["role"] == "assistant"  # frank.hayden@enron.com
    # a Lotus Notes reply: the inlined earlier message goes
    reply = by_file["sanders-r__sent__807.eml"]["messages"][0]["content"]
    assert reply == "The 27th is a Tuesday so I am not sure what date you meant. I am free the\n26th and 27th."
    # a Notes forward: the "Forwarded by" banner and the header block go, the text stays
    bmc = by_file["arnold-j__bmc__11.eml"]["messages"][0]["content"]
    assert bmc.startswith("Jeff,\n\nHonestly") and "Forwarded by" not in bmc and "Subject:" not in bmc
    assert all(r["messages"] for r in recs)


def test_mbox_with_from_lines(tmp_path):
    mbox_path = tmp_path / "mail.mbox"
    box = mailbox.mbox(str(mbox_path))
    for f in sorted((FIX / "enron").glob("*.eml"))[:3]:
        box.add(mailbox.mboxMessage(f.read_bytes()))
    msg = mailbox.mboxMessage(b"From: a@example.org\nSubject: body with From\nMessage-ID: <m1@example.org>\n\nline one\nFrom here on it is text.\n")
    box.add(msg)
    box.flush()
    box.close()
    assert len(list(split_mbox(mbox_path))) == 4
    events, recs = read(tmp_path, tmp_path, path="mail.mbox")
    assert len(recs) == 4
    last = next(r for r in recs if r["title"] == "body with From")
    assert "From here on it is text." in last["messages"][0]["content"]  # '>From' unescaped
    assert last["locator"].startswith("mail.mbox:")
    assert all(":" in r["locator"] for r in recs)


def test_folder_with_mbox_and_eml(tmp_path):
    shutil.copytree(FIX / "enron", tmp_path / "mail")
    (tmp_path / "mail" / "README").write_text("notes about this folder\n")
    events, recs = read(tmp_path, tmp_path, path="mail", exclude=["README"])
    assert len(recs) == 8 and len(events) == 8


def test_quote_and_signature_rules():
    text = "Thanks, that works.\n\nOn Tue, 5 Mar 2024 at 10:00, Ben <ben@example.com>\nwrote:\n> try again\n> later\n\n-- \nAnna\nhttps://anna.example.org"
    assert clean_body(text, True, True, []) == "Thanks, that works."
    outlook = "See below.\n\n-----Original Message-----\nFrom: X\nSent: Monday\nTo: Y\nSubject: Z\n\nold text"
    assert clean_body(outlook, True, True, []) == "See below."
    footer = "Patch looks good.\n_______________________________________________\nnotmuch mailing list\nnotmuch@notmuchmail.org"
    assert clean_body(footer, True, True, []) == "Patch looks good."
    custom = "Fixed.\nAcme Corp | Confidential\nDo not forward"
    assert clean_body(custom, True, True, [r"^Acme Corp \|"]) == "Fixed."
    assert clean_body(text, False, False, []).count("\n> ") == 2


def test_config_errors(tmp_path):
    p = tmp_path / "curate.yaml"
    p.write_text(json.dumps({"name": "m", "sources": [{"type": "email", "path": "nowhere"}]}))
    with pytest.raises(ConfigError, match="sources\\[0\\].path: file not found: nowhere"):
        load_config(p)
    (tmp_path / "box.mbox").write_text("")
    p.write_text(json.dumps({"name": "m", "sources": [{"type": "email", "path": "box.mbox", "signature_patterns": ["("]}]}))
    with pytest.raises(ConfigError, match="invalid regular expression"):
        load_config(p)


def test_subject_in_user_turn(tmp_path):
    _, plain = read(tmp_path, FIX, path="support", support_domains=["acme.example"])
    _, recs = read(tmp_path, FIX, path="support", support_domains=["acme.example"], subject_in_user_turn=True)
    for before, after in zip(plain, recs):
        first = before["messages"][0]["content"].strip()
        assert after["messages"][0]["content"] == f"{before['title']}\n\n{first}"
        assert after["messages"][1:] == before["messages"][1:] and after["title"] == before["title"]
