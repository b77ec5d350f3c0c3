"""What reviewers see of the example: its redact settings (examples/support-tickets) take
order, invoice and ticket numbers of five digits and up out of a ticket, and leave version
numbers, builds and error codes as written. Run through `curate redact -c` as a user would."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import run_cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "support-tickets" / "curate.yaml"

TICKETS = {
    # the shapes in the example's Bitext sample
    "invoice": ("Please resend invoice #85632 and invoice number #00108.", ["85632", "00108"]),
    "with-number": ("I can't find the order with the number 370795561790.", ["370795561790"]),
    "glued": ("cancelling order732201349959 now", ["732201349959", "9959"]),
    "with-id": ("Where is the purchase with the ID 370795561790?", ["370795561790"]),
    "ticket": ("Any news on ticket 77812?", ["77812"]),
    # numbers no customer is identified by: they stay
    "versions": (("Since version 10.4.12 (build 20231) the app shows error 40401 and error code 50012; "
                  "firmware v2.14.3 reports E10233."), []),
}


def test_example_redacts_order_numbers_and_keeps_versions_and_error_codes(tmp_path):
    src = tmp_path / "tickets.jsonl"
    src.write_text("".join(json.dumps({"id": k, "text": text}) + "\n" for k, (text, _) in TICKETS.items()))
    out = tmp_path / "redacted.jsonl"
    r = run_cli("redact", str(src), "-o", str(out), "-c", str(EXAMPLE), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = {row["id"]: row["text"] for row in map(json.loads, out.read_text().splitlines())}
    for key, (text, secret) in TICKETS.items():
        for value in secret:
            assert value not in got[key], (key, got[key])
        if secret:
            assert "<ORDER_ID_1>" in got[key], got[key]
    assert got["versions"] == TICKETS["versions"][0]
    assert got["glued"] == "cancelling order<ORDER_ID_1> now"
