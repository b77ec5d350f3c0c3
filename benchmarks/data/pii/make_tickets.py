"""Generate the labeled ticket-style PII set (benchmarks/data/pii/tickets.jsonl).

Support messages built from templates with fake values (Faker, fixed seed): greetings,
sign-offs, signatures, email headers, names mid-sentence, pasted card numbers, phones in
several countries' formats, addresses, IBANs, SSNs, IPs, credentials, and technical tokens
that must NOT be redacted (versions, error codes, hex addresses, product names, release
dates). Each row: {"id", "text", "spans": [{"start", "end", "type"}], "technical": [...]}.

    .venv/bin/python benchmarks/data/pii/make_tickets.py            # the committed set (400)
    .venv/bin/python benchmarks/data/pii/make_tickets.py --n 10000 --seed 7 --out /tmp/speed.jsonl

All values are fake. The templates were written by the same developers as the
recognizers, so figures on this set are optimistic; the presidio-research set is the
independent check.
"""

from __future__ import annotations

import argparse
import json
import random
import string
from pathlib import Path

from faker import Faker

HERE = Path(__file__).resolve().parent
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "sv_SE", "pt_BR", "en_IE", "da_DK"]
PHONE_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "sv_SE", "pt_BR", "en_IN", "en_AU"]
IBAN_LOCALES = ["de_DE", "fr_FR", "nl_NL", "en_GB", "es_ES", "it_IT", "pl_PL", "sv_SE"]


class Msg:
    """A message under construction: text with labeled spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[dict] = []
        self.tech: list[dict] = []
        self.len = 0

    def add(self, text: str, label: str | None = None) -> Msg:
        if label == "TECH":
            self.tech.append({"start": self.len, "end": self.len + len(text), "value": text})
        elif label:
            self.spans.append({"start": self.len, "end": self.len + len(text), "type": label})
        self.parts.append(text)
        self.len += len(text)
        return self

    def fmt(self, template: str, **slots) -> Msg:
        """``template`` with {slot} fields; each slot is (value, label)."""
        import re

        pos = 0
        for m in re.finditer(r"\{(\w+)\}", template):
            self.add(template[pos:m.start()])
            value, label = slots[m.group(1)]
            self.add(value, label)
            pos = m.end()
        self.add(template[pos:])
        return self

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.fakers = {loc: Faker(loc) for loc in sorted(set(LOCALES + PHONE_LOCALES + IBAN_LOCALES))}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed * 100 + i)

    def f(self, locales=LOCALES) -> Faker:
        return self.fakers[self.r.choice(locales)]

    # -- values -----------------------------------------------------------------------
    def person(self):
        f = self.f()
        return f.first_name(), f.last_name()

    def phone(self):
        f = self.f(PHONE_LOCALES)
        p = f.phone_number()
        if self.r.random() < 0.25 and not p.startswith("+"):
            p = f.msisdn() if self.r.random() < 0.3 else p
        return p

    def card(self):
        kind = self.r.choice(["visa16", "visa16", "mastercard", "mastercard", "amex", "discover", "jcb", "diners", "maestro", "visa19"])
        f = self.fakers["en_US"]
        num = f.credit_card_number(card_type="visa" if kind.startswith("visa") else kind)
        if kind == "mastercard" and self.r.random() < 0.5:
            num = self._luhn("2" + str(self.r.randint(221, 720)) + "".join(self.r.choice(string.digits) for _ in range(11)))
        if kind == "visa19":
            num = self._luhn("4" + "".join(self.r.choice(string.digits) for _ in range(17)))
        style = self.r.random()
        if style < 0.4 and len(num) == 16:
            return " ".join(num[i:i + 4] for i in range(0, 16, 4))
        if style < 0.6 and len(num) == 16:
            return "-".join(num[i:i + 4] for i in range(0, 16, 4))
        return num

    @staticmethod
    def _luhn(partial: str) -> str:
        from curate.pii.recognizers.base import luhn_ok

        for d in string.digits:
            if luhn_ok(partial + d):
                return partial + d
        raise AssertionError

    def iban(self):
        v = self.f(IBAN_LOCALES).iban()
        return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if self.r.random() < 0.5 else v

    def address(self):
        loc = self.r.choice(["en_US", "en_US", "en_GB", "de_DE", "fr_FR", "nl_NL", "it_IT", "es_ES"])
        a = self.fakers[loc].address()
        return a.replace("\n", ", ") if self.r.random() < 0.5 else a

    def ip(self):
        f = self.fakers["en_US"]
        return self.r.choice([f.ipv4_public(), f.ipv4_private(), f.ipv6()])

    def secret(self):
        rnd = lambda n, alpha=string.ascii_letters + string.digits: "".join(self.r.choice(alpha) for _ in range(n))
        kind = self.r.randrange(9)
        if kind == 0:
            return "AKIA" + rnd(16, string.ascii_uppercase + string.digits), "my AWS access key is {v}"
        if kind == 1:
            return "ghp_" + rnd(36), "the token ghp is {v} if that helps"
        if kind == 2:
            return "sk_live_" + rnd(24), "our Stripe key {v} stopped working"
        if kind == 3:
            return "xoxb-" + rnd(11, string.digits) + "-" + rnd(24), "Slack bot token: {v}"
        if kind == 4:
            jwt = "eyJ" + rnd(20) + ".eyJ" + rnd(40) + "." + rnd(30)
            return jwt, "curl -H 'Authorization: Bearer {v}' returns 401"
        if kind == 5:
            return rnd(self.r.randint(8, 14), string.ascii_letters + string.digits + "!#$%"), "my password: {v}"
        if kind == 6:
            return rnd(32), "the reset link https://app.example.com/reset?token={v} expired"
        if kind == 7:
            return "glpat-" + rnd(20), "GitLab token {v} was revoked"
        return rnd(12), "DATABASE_PASSWORD={v} in the .env file"

    # -- technical tokens that must survive ------------------------------------------------
    def tech(self):
        r = self.r
        choices = [
            (f"{r.randint(1, 12)}.{r.randint(0, 20)}.{r.randint(0, 99)}", "after updating to version {t} the app crashes"),
            (f"v{r.randint(1, 5)}.{r.randint(0, 30)}.{r.randint(0, 9)}", "the {t} release broke the export"),
            (f"0x{r.randint(0x10000000, 0xFFFFFFFF):08X}", "Windows shows error {t} on startup"),
            (f"0x{r.randint(0x7f0000000000, 0x7fffffffffff):x}", "segfault at address {t}"),
            (f"ERR_{r.choice(['CONNECTION_REFUSED', 'SSL_PROTOCOL_ERROR', 'TIMED_OUT', 'CERT_INVALID'])}", "Chrome says {t}"),
            (f"E{r.randint(1000, 9999)}", "the printer shows code {t}"),
            (f"HTTP {r.choice([400, 401, 403, 404, 429, 500, 502, 503])}", "the API answers {t} since this morning"),
            (f"KB{r.randint(4000000, 5099999)}", "installing {t} fails"),
            (f"build {r.randint(19041, 22631)}.{r.randint(100, 4000)}", "on Windows 11 {t} the driver is missing"),
            (f"{r.randint(19041, 22631)}.{r.randint(100, 4000)}", "OS build {t}"),
            (r.choice(["PostgreSQL 15", "Python 3.11", "iOS 17.2", "Android 14", "macOS Sonoma", "Outlook", "Excel", "Zendesk", "Kubernetes", "Chrome"]), "it happens in {t} too"),
            (r.choice(["March 3, 2024", "2024-03-12", "January 2023", "12 May 2022"]), "the release from {t} fixed it before"),
            (f"{r.choice(['a', 'b', 'c', 'd', 'e', 'f'])}{''.join(r.choice('0123456789abcdef') for _ in range(6))}", "the regression came with commit {t}"),
            (f"{r.randint(10000, 99999)}", "ticket {t} is still open"),
            (f"{''.join(r.choice('0123456789abcdef') for _ in range(8))}-{''.join(r.choice('0123456789abcdef') for _ in range(4))}-4{''.join(r.choice('0123456789abcdef') for _ in range(3))}-a{''.join(r.choice('0123456789abcdef') for _ in range(3))}-{''.join(r.choice('0123456789abcdef') for _ in range(12))}", "request id {t}"),
            (f"port {r.choice([443, 5432, 8080, 3306, 6379])}", "the service listens on {t}"),
            ("127.0.0.1", "it binds to {t} only"),
            (f"{r.randint(1, 99)}.{r.randint(1, 9)}%", "CPU sits at {t}"),
        ]
        return r.choice(choices)

    # -- a message ------------------------------------------------------------------------
    def message(self) -> Msg:
        r = self.r
        m = Msg()
        first, last = self.person()
        header = r.random()
        if header < 0.15:
            f = self.f()
            m.fmt("From: {n} <{e}>\n", n=(f"{first} {last}", "PERSON"), e=(f.email(), "EMAIL_ADDRESS"))
            m.add("Subject: " + r.choice(["Problem with my order", "Login issue", "Refund", "Invoice question", "App crashes"]) + "\n\n")
        g = r.random()
        if g < 0.3:
            m.fmt(r.choice(["Hi {n},\n", "Hello {n},\n", "Hey {n}!\n", "Good morning {n},\n", "Dear {n},\n"]), n=(self.person()[0], "PERSON"))
        elif g < 0.4:
            m.fmt("Dear Mr. {n},\n", n=(self.person()[1], "PERSON"))
        elif g < 0.7:
            m.add(r.choice(["Hi,\n", "Hello,\n", "Hi team,\n", "Hello support,\n", "Hi there,\n", ""]))
        bodies = [self.body() for _ in range(r.randint(1, 3))]
        for b in bodies:
            b(m)
            m.add(" ")
        if r.random() < 0.5:
            text, tmpl = self.tech()
            m.fmt(" Also, " + tmpl.replace("{t}", "{t}") + ".", t=(text, "TECH"))
        s = r.random()
        if s < 0.25:
            m.fmt(r.choice(["\n\nThanks,\n{n}", "\n\nBest regards,\n{n}", "\n\nCheers,\n{n}", "\n\nKind regards,\n{n}"]), n=(first, "PERSON"))
        elif s < 0.45:
            m.fmt("\n\nRegards,\n{n}\n", n=(f"{first} {last}", "PERSON"))
            m.add(r.choice(["Office Manager", "IT Administrator", "Head of Finance", "Customer"]) + "\n")
            if r.random() < 0.7:
                m.fmt("Phone: {p}", p=(self.phone(), "PHONE_NUMBER"))
        elif s < 0.55:
            m.fmt("\n\n-- \n{n}", n=(f"{first} {last}", "PERSON"))
        elif s < 0.65:
            m.fmt("\n\nThanks, {n}", n=(first, "PERSON"))
        elif s < 0.7:
            m.add("\n\nSent from my iPhone")
        if r.random() < 0.1:
            f = self.f()
            m.fmt("\n\nOn Mon, 4 Mar 2024 at 09:12, {n} <{e}> wrote:\n> Thanks for reaching out.", n=(f"{f.first_name()} {f.last_name()}", "PERSON"), e=(f.email(), "EMAIL_ADDRESS"))
        return m

    def body(self):
        r = self.r
        kind = r.randrange(17)
        f = self.f()
        if kind == 0:
            return lambda m: m.fmt(r.choice(["My card {c} was charged twice.", "Please refund to the card ending in the number {c}.", "I paid with {c} but the order shows unpaid.", "card: {c}"]), c=(self.card(), "CREDIT_CARD"))
        if kind == 1:
            return lambda m: m.fmt(r.choice(["You can call me on {p}.", "My number is {p}, mobile is best.", "Please call {p} after 5pm.", "Reach me at {p}.", "Tel: {p}"]), p=(self.phone(), "PHONE_NUMBER"))
        if kind == 2:
            return lambda m: m.fmt(r.choice(["Please send the replacement to {a}.", "My new address is {a}.", "Billing address: {a}", "Ship it to:\n{a}\n"]), a=(self.address(), "STREET_ADDRESS"))
        if kind == 3:
            return lambda m: m.fmt(r.choice(["The refund should go to IBAN {i}.", "My bank account is {i}.", "IBAN: {i}"]), i=(self.iban(), "IBAN_CODE"))
        if kind == 4:
            return lambda m: m.fmt(r.choice(["For the tax form, my SSN is {s}.", "SSN {s}", "social security number: {s}"]), s=(self.fakers["en_US"].ssn(), "US_SSN"))
        if kind == 5:
            return lambda m: m.fmt(r.choice(["The login attempts came from {ip}.", "Our server {ip} cannot reach your API.", "Whitelist {ip} please."]), ip=(self.ip(), "IP_ADDRESS"))
        if kind == 6:
            v, tmpl = self.secret()
            return lambda m: m.fmt(tmpl.replace("{v}", "{v}") + ".", v=(v, "SECRET"))
        if kind == 7:
            return lambda m: m.fmt(r.choice(["My email is {e}.", "Please reply to {e} instead.", "The invoice went to {e} by mistake."]), e=(f.email(), "EMAIL_ADDRESS"))
        if kind == 8:
            n = f"{f.first_name()} {f.last_name()}"
            return lambda m: m.fmt(r.choice(["I spoke with {n} yesterday and nothing happened.", "{n} from accounting approved the refund.", "Please forward this to {n}.", "My colleague {n} has the same problem."]), n=(n, "PERSON"))
        if kind == 9:
            n = f.first_name()
            return lambda m: m.fmt(r.choice(["{n} said it would be fixed by Friday.", "I asked {n} about it last week."]), n=(n, "PERSON"))
        if kind == 10:
            return lambda m: m.fmt("My name is {n} and I cannot log in.", n=(f"{f.first_name()} {f.last_name()}", "PERSON"))
        if kind == 11:
            n = f"{f.first_name()} {f.last_name()}"
            return lambda m: m.fmt("Name: {n}\nPhone: {p}\nEmail: {e}\n", n=(n, "PERSON"), p=(self.phone(), "PHONE_NUMBER"), e=(f.email(), "EMAIL_ADDRESS"))
        if kind in (12, 13, 14):
            text, tmpl = self.tech()
            return lambda m: m.fmt(tmpl[0].upper() + tmpl[1:] + ".", t=(text, "TECH"))
        if kind == 15:
            return lambda m: m.add(r.choice([
                "The app keeps logging me out.", "I was charged for a plan I cancelled.", "The export to CSV is empty.",
                "Two-factor codes never arrive.", "The dashboard does not load since the update.", "Where is my order?",
            ]))
        return lambda m: m.add(r.choice([
            "Could you check what is going on?", "This is urgent for us.", "Thanks in advance for your help.",
            "I already tried reinstalling.", "It worked fine last month.",
        ]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--seed", type=int, default=20261)
    ap.add_argument("--out", type=Path, default=HERE / "tickets.jsonl")
    args = ap.parse_args()
    gen = Gen(args.seed)
    with open(args.out, "w", encoding="utf-8") as fh:
        for i in range(args.n):
            m = gen.message()
            row = {"id": f"ticket-{i:05d}", "text": m.text, "spans": m.spans, "technical": m.tech}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{args.n} messages -> {args.out}")


if __name__ == "__main__":
    main()
