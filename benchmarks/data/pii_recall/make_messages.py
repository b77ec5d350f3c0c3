"""Generate the independent PII recall set: support messages written the way customers and
agents write them (help-desk tickets, email threads with quoted history and signatures,
chat transcripts, web forms, agent call notes, social posts), with fake personal data and
the gold spans recorded as the text is built.

The set was written from how support text looks, without reading curate's recognizers, so
that it measures what they miss instead of what they were tuned on. It holds:

- person names from Faker in 20 locales (accents, hyphens, particles, romanised Japanese
  and Chinese names), as full names, given names alone, a title and surname, lowercase,
  all caps, "Surname, Given" and initial + surname, in many positions (greetings,
  sign-offs after a closing, after a dash line, "-Carl", a name alone at the end, thanks in
  mid-sentence, a name before contact details in brackets, phrases that introduce a person,
  mail headers and quote attributions, chat speakers, form fields, mentions, possessives);
- structured values: emails, phone numbers in the national formats of 14 countries (checked
  with libphonenumber to be valid numbers), card numbers of several issuers (valid Luhn),
  IBANs of 8 countries (valid checksum), US SSNs, IPv4 and IPv6 addresses, API keys,
  tokens and passwords, usernames, and street addresses from 15 countries;
- tokens that must survive: versions, error codes, file paths, product host names, function
  names and commands, order/ticket numbers, product names, UI labels, identifiers and
  timestamps (group "technical"), and other text (group "other"): ordinary words that are
  also names ("Will this be fixed?", "from 1 May"), closing formulas, company names, job
  titles and team names in signatures, mail header dates, the company's social handle.
  Support mailboxes in quoted headers (support@...) are gold EMAIL_ADDRESS spans with
  ``mailbox: role``.

Each record: ``id``, ``style``, ``title`` (or null), ``messages`` (role, content), ``spans``
(field ``title`` or ``m<i>``, start, end, type, value and attributes: locale, form, position
for names; country/format for the others) and ``keep`` (the tokens that must survive, with
their kind and group). Deterministic: the same seed and Faker version give the same file.

    .venv/bin/python benchmarks/data/pii_recall/make_messages.py     # writes messages.jsonl here
"""

from __future__ import annotations

import argparse
import json
import random
import string
import zlib
from dataclasses import dataclass
from pathlib import Path

import faker
import phonenumbers
from faker import Faker

HERE = Path(__file__).resolve().parent
SEED = 20261207
N_RECORDS = 1200

#: name locale -> (Faker locale, how names are drawn)
NAME_LOCALES = [
    "en_US", "en_GB", "en_IN", "ga_IE", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT", "pt_BR",
    "nl_NL", "pl_PL", "sv_SE", "da_DK", "fi_FI", "cs_CZ", "hu_HU", "ro_RO", "hr_HR", "tr_TR",
    "ja_JP", "zh_CN",
]
#: phone country -> (Faker locale, region for libphonenumber)
PHONE_COUNTRIES = {
    "US": "en_US", "GB": "en_GB", "IN": "en_IN", "DE": "de_DE", "AT": "de_AT", "CH": "de_CH", "FR": "fr_FR",
    "ES": "es_ES", "IT": "it_IT", "BR": "pt_BR", "NL": "nl_NL", "PL": "pl_PL", "SE": "sv_SE", "AU": "en_AU",
}
ADDRESS_LOCALES = ["en_US", "en_GB", "en_CA", "en_AU", "en_IN", "de_DE", "de_AT", "de_CH", "fr_FR", "es_ES",
                   "it_IT", "pt_BR", "nl_NL", "pl_PL", "cs_CZ"]
IBAN_LOCALES = ["de_DE", "fr_FR", "en_GB", "nl_NL", "es_ES", "it_IT", "pl_PL", "de_AT"]

STYLES = {"helpdesk": 300, "email": 300, "chat": 240, "form": 110, "notes": 110, "social": 140}

# -- technical tokens and other text that must survive ---------------------------------------

VERSIONS = ["2.14.3", "v4.0.1-beta.2", "17.4.1", "3.11.7", "v20.11.1", "10.0.22631", "build 22631.3296", "8.20.1",
            "1.70.2", "5.11.0", "2024.2.1", "v0.73.6", "15.6", "12.3.1 (Build 16C5032a)", "4.19.2", "23H2", "6.1.0-rc3",
            "1.2.840", "7.0", "121.0.6167.85"]
ERROR_CODES = ["0x80070005", "0x8024402C", "0xc000007b", "ERR_CONNECTION_RESET", "ERR_SSL_PROTOCOL_ERROR",
               "E_ACCESSDENIED", "HTTP 503", "HTTP 429", "error 1603", "ORA-12154", "SQLSTATE 42P01", "EACCES",
               "ECONNREFUSED", "KB5034441", "E1042", "Error 0x800CCC0E", "NSURLErrorDomain -1009", "SSL_ERROR_SYSCALL",
               "502 Bad Gateway", "ENOSPC", "CERT_HAS_EXPIRED", "ERROR 1045 (28000)", "STATUS_ACCESS_VIOLATION",
               "code 0xE0434352"]
FILE_PATHS = ["/var/log/nginx/error.log", r"C:\Program Files\Common Files\Setup\installer.exe",
              "~/Library/Application Support/Slack/logs/webapp-console.log", "/etc/ssl/certs/ca-certificates.crt",
              r"%APPDATA%\Microsoft\Outlook\Outlook.ost", "/opt/app/config/settings.yaml", "./android/app/build.gradle",
              "/usr/local/lib/python3.11/site-packages/requests/adapters.py", r"D:\exports\Q3\invoices.xlsx",
              "/home/deploy/.ssh/known_hosts", "src/components/Checkout.tsx", "/tmp/core.12345",
              "ios/Podfile.lock", r"C:\Windows\System32\drivers\etc\hosts", "/var/lib/postgresql/15/main/pg_wal"]
HOSTNAMES = ["api.stripe.com", "login.microsoftonline.com", "status.atlassian.com", "registry.npmjs.org",
             "smtp.office365.com", "graph.facebook.com", "s3.eu-central-1.amazonaws.com", "imap.gmail.com",
             "hooks.slack.com", "api.github.com", "accounts.google.com", "outlook.office365.com", "pypi.org",
             "dl.google.com", "cdn.jsdelivr.net", "auth.docker.io"]
FUNCTIONS = ["getUserProfile()", "os.path.join", "useEffect", "parse_config()", "Array.prototype.map",
             "fetchOrders()", "JSON.parse", "requests.post()", "componentDidMount", "handleWebhook()",
             "SaveChangesAsync", "np.concatenate", "createPaymentIntent", "onActivityResult"]
COMMANDS = ["pg_dump", "kubectl rollout restart deployment/web", "npm install --legacy-peer-deps", "git rebase -i",
            "sudo systemctl restart nginx", "ipconfig /flushdns", "pip install --upgrade pip", "chkdsk /f", "sfc /scannow",
            "docker compose up -d", "brew upgrade", "apt-get update"]
LOG_PATHS = ["/var/log/nginx/error.log", "~/Library/Application Support/Slack/logs/webapp-console.log",
             r"%LOCALAPPDATA%\Temp\setup.log", "/var/log/syslog", r"C:\ProgramData\Acme\logs\agent.log"]
ORDER_NUMBERS = ["#448812", "ORD-2024-118734", "order 113-4471920-5540267", "INV-00923", "ticket #58213",
                 "case 02847163", "RMA 77120", "PO 4500018832", "#A1B2-77C", "SO-20931", "booking ref QX7K2M",
                 "invoice 2024/0387", "#1000482215", "TKT-88120", "return 9937-221"]
APPS = ["Outlook", "Jira", "Google Drive", "PyCharm", "React Native", "Zoom", "Microsoft Teams", "Salesforce",
        "Shopify", "Kubernetes", "PostgreSQL", "Visual Studio Code", "Adobe Acrobat", "QuickBooks", "Xero", "HubSpot",
        "Notion", "Figma", "Jenkins", "OneDrive", "Dropbox", "Android Studio", "Excel", "Apple Music", "Spotify Premium",
        "WordPress", "Magento", "Grafana", "Ansible", "Alexa app", "Siri Shortcuts"]
DEVICES = ["Dell XPS 15", "MacBook Pro", "AirPods Pro", "Galaxy S23", "Sonos Arc", "Kindle Paperwhite", "Chromebook",
           "Echo Dot", "iPhone 15", "Surface Pro 9", "Pixel 8", "Apple Watch"]
PRINTERS = ["Canon PIXMA MG3620", "HP LaserJet Pro", "Brother HL-L2350DW", "Epson EcoTank ET-2850"]
PRODUCTS = APPS + DEVICES + PRINTERS
CITIES = ["Lyon", "Porto", "Graz", "Tampere", "Cork", "Leeds", "Brno", "Gdańsk", "Utrecht", "Bologna", "Sevilla", "Malmö",
          "Aarhus", "Cluj-Napoca", "Split", "İzmir", "Pune", "Curitiba", "Guadalajara", "Osaka", "Chengdu", "Austin",
          "Winnipeg", "Adelaide", "Debrecen", "Zürich", "Lausanne", "Düsseldorf", "Bordeaux", "Galway"]
UI_LABELS = ["Settings > Privacy > Location Services", "the Export button", "Sign In", "Forgot Password",
             "Account Settings", "Save Changes", "the Billing tab", "Manage Subscription", "Add to Cart",
             "Preferences > Advanced", "the Sync Now button", "Download Invoice", "Check for Updates",
             "Reset to Defaults", "Order History", "Apply Coupon"]
IDENTIFIERS = ["3f2b6c1e-9a4d-4c2e-8f7a-1b2c3d4e5f60", "a3f9c21", "d41d8cd98f00b204e9800998ecf8427e",
               "req_8Kx2LmQp9Z", "trace-id 7f3a9c", "0x7ffd5e8c", "sha256:9b2c7e", "SKU 88-4410-BLK", "MAC-LAPTOP-0142",
               "job 4471", "pod web-7d9f8c6b5-x2k4p", "commit e3b0c44"]
TIMESTAMPS = ["2024-03-12T10:14:55Z", "2024-11-02 08:31:07", "12/03/2024 14:05", "Mar 12 10:14:55",
              "[2024-05-21 17:42:19,381]"]

PROSE_WORDS = [  # ordinary words that are also names: they must stay
    ("Will this be fixed in the next release?", "Will"),
    ("We are closed from 1 May until 3 May.", "May"),
    ("Please grant access to the shared folder.", "grant"),
    ("Mark the ticket as solved when you are done.", "Mark"),
    ("Can you bill us annually instead?", "bill"),
    ("The amber light keeps blinking.", "amber"),
    ("I ordered the rose gold model.", "rose"),
    ("Rusty hinges on the door of the unit.", "Rusty"),
    ("We expect a sunny week, so the outdoor install can go ahead.", "sunny"),
    ("Joy! It works now.", "Joy"),
    ("Faith in this product is running low here.", "Faith"),
    ("Chase bank declined the payment.", "Chase"),
    ("The delivery was made in April.", "April"),
    ("Hope you can help.", "Hope"),
    ("Art prints arrived with a bent corner.", "Art"),
]

TITLES = {"m": ["Mr", "Mr.", "Dr", "Dr."], "f": ["Ms", "Ms.", "Mrs", "Mrs.", "Dr."]}
COMPANIES = ["Acme Logistics", "Brightline Dental", "Nordwind GmbH", "Café Lumière", "Tecnoservizi S.r.l.",
             "Delta Freight", "Kowalski & Syn", "Orbit Analytics", "Vale Studio", "Helios Energia", "Pinecrest School",
             "Fjord Outdoor AB", "Sunrise Bakery", "Atlas Consulting"]
JOB_TITLES = ["Office Manager", "IT Administrator", "Head of Finance", "Customer Success Lead", "Operations",
              "Purchasing", "Senior Developer", "Practice Manager", "Accounts Payable", "Founder"]
DEPARTMENTS = ["billing", "accounting", "IT", "finance", "the warehouse", "procurement", "HR", "sales", "our legal team"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# -- building text with gold spans -------------------------------------------------------------


class Field:
    """One text field, built piece by piece; every personal value and every token that must
    survive is recorded where it is written."""

    def __init__(self, name: str):
        self.name = name
        self.buf: list[str] = []
        self.n = 0
        self.spans: list[dict] = []
        self.keep: list[dict] = []

    def t(self, s: str) -> Field:
        self.buf.append(s)
        self.n += len(s)
        return self

    def pii(self, typ: str, value: str, **attrs) -> Field:
        self.spans.append({"field": self.name, "start": self.n, "end": self.n + len(value), "type": typ, "value": value, **attrs})
        return self.t(value)

    def k(self, kind: str, value: str, group: str = "technical") -> Field:
        self.keep.append({"field": self.name, "start": self.n, "end": self.n + len(value), "kind": kind, "value": value, "group": group})
        return self.t(value)

    def text(self) -> str:
        return "".join(self.buf)


@dataclass
class Person:
    given: str
    surname: str
    locale: str
    gender: str

    def full(self) -> str:
        return f"{self.given} {self.surname}"


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        self.seed = seed

    def fk(self, locale: str) -> Faker:
        if locale not in self.fakers:
            f = Faker(locale)
            f.seed_instance(self.seed ^ zlib.crc32(locale.encode()))
            self.fakers[locale] = f
        return self.fakers[locale]

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    # -- people ---------------------------------------------------------------------------
    def person(self, locale: str | None = None) -> Person:
        locale = locale or self.pick(NAME_LOCALES)
        f = self.fk(locale)
        g = self.pick("mf")
        if locale in ("ja_JP", "zh_CN"):
            if locale == "ja_JP":
                given = f.first_romanized_name_male() if g == "m" else f.first_romanized_name_female()
            else:
                given = f.first_romanized_name()
            surname = f.last_romanized_name()
        else:
            given = f.first_name_male() if g == "m" else f.first_name_female()
            last = getattr(f, "last_name_male" if g == "m" else "last_name_female", None)
            surname = last() if last else f.last_name()
        return Person(given, surname, locale, g)

    def name(self, fld: Field, p: Person, position: str, forms: dict[str, float]) -> str:
        """Write the person's name in one of ``forms`` (weights); returns the form."""
        form = self.r.choices(list(forms), weights=list(forms.values()))[0]
        a = {"locale": p.locale, "form": form, "position": position}
        if form == "full":
            fld.pii("PERSON", p.full(), **a)
        elif form == "given":
            fld.pii("PERSON", p.given, **a)
        elif form == "title_surname":
            fld.t(self.pick(TITLES[p.gender]) + " ").pii("PERSON", p.surname, **a)
        elif form == "lower_full":
            fld.pii("PERSON", p.full().lower(), **a)
        elif form == "lower_given":
            fld.pii("PERSON", p.given.lower(), **a)
        elif form == "upper_full":
            fld.pii("PERSON", p.full().upper(), **a)
        elif form == "upper_given":
            fld.pii("PERSON", p.given.upper(), **a)
        elif form == "surname_given":
            fld.pii("PERSON", f"{p.surname}, {p.given}", **a)
        elif form == "initial_surname":
            fld.pii("PERSON", f"{p.given[0]}. {p.surname}", **a)
        else:
            raise ValueError(form)
        return form

    # -- structured values -------------------------------------------------------------------
    def email(self, p: Person | None = None, company: bool | None = None) -> str:
        f = self.fk(p.locale if p else "en_US")
        if p is None or self.chance(0.25):
            return f.email()
        base = _ascii(p.given).lower()
        last = _ascii(p.surname).lower().replace(" ", "").replace("'", "")
        local = self.pick([f"{base}.{last}", f"{base[0]}{last}", f"{base}{self.r.randint(1, 99)}", f"{base}_{last}", f"{last}.{base}"])
        if company if company is not None else self.chance(0.5):
            dom = self.pick(["acme-logistics.com", "nordwind.de", "orbit-analytics.io", "valestudio.co.uk", "helios.pt",
                             "brightline.dental", "fjordoutdoor.se", "atlas-consulting.fr", "tecnoservizi.it"])
        else:
            dom = self.pick(["gmail.com", "outlook.com", "yahoo.com", "hotmail.co.uk", "web.de", "gmx.net", "orange.fr",
                             "libero.it", "uol.com.br", "wp.pl", "icloud.com", "proton.me", "seznam.cz"])
        return f"{local}@{dom}"

    def phone(self, country: str | None = None) -> tuple[str, str]:
        country = country or self.pick(list(PHONE_COUNTRIES))
        f = self.fk(PHONE_COUNTRIES[country])
        for _ in range(60):
            raw = f.phone_number().split("x")[0].strip()
            try:
                num = phonenumbers.parse(raw, country)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(num):
                style = self.r.random()
                if style < 0.45:
                    return raw, country
                if style < 0.75:
                    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL), country
                return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL), country
        raise RuntimeError(f"no valid phone number for {country}")

    def card(self) -> tuple[str, str]:
        kind = self.pick(["visa16", "mastercard", "mastercard2", "amex", "discover", "jcb16", "maestro", "diners"])
        f = self.fk("en_US")
        if kind == "mastercard2":
            digits = _luhn_complete(str(self.r.randint(2221, 2720)) + "".join(self.r.choice(string.digits) for _ in range(11)))
        else:
            digits = f.credit_card_number(kind)
        sep = self.pick([" ", "-", "", " "])
        if kind == "amex" and len(digits) == 15:
            text = sep.join([digits[:4], digits[4:10], digits[10:]])
        else:
            text = sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))
        return text, kind

    def iban(self) -> tuple[str, str]:
        loc = self.pick(IBAN_LOCALES)
        v = self.fk(loc).iban()
        if self.chance(0.6):
            v = " ".join(v[i:i + 4] for i in range(0, len(v), 4))
        return v, v[:2]

    def ssn(self) -> str:
        area = self.r.choice([a for a in range(1, 900) if a != 666])
        s = f"{area:03d}-{self.r.randint(1, 99):02d}-{self.r.randint(1, 9999):04d}"
        return s if self.chance(0.8) else s.replace("-", " ")

    def ip(self) -> tuple[str, str]:
        f = self.fk("en_US")
        return (f.ipv4_public(), "v4") if self.chance(0.75) else (f.ipv6(), "v6")

    def secret(self) -> tuple[str, str, str]:
        """(text before, secret, kind)."""
        r = self.r
        alnum = string.ascii_letters + string.digits

        def rnd(n: int, chars: str = alnum) -> str:
            return "".join(r.choice(chars) for _ in range(n))

        kind = self.pick(["aws_key", "aws_secret", "github", "gitlab", "slack", "stripe", "openai", "google", "sendgrid",
                          "generic_hex", "jwt", "password", "db_url", "bearer"])
        if kind == "aws_key":
            return "AWS_ACCESS_KEY_ID=", "AKIA" + rnd(16, string.ascii_uppercase + string.digits), kind
        if kind == "aws_secret":
            return "aws_secret_access_key = ", rnd(40, alnum + "/+"), kind
        if kind == "github":
            return "token ", "ghp_" + rnd(36), kind
        if kind == "gitlab":
            return "GITLAB_TOKEN: ", "glpat-" + rnd(20, alnum + "-_"), kind
        if kind == "slack":
            return "the bot token is ", f"xoxb-{r.randint(10**10, 10**11)}-{r.randint(10**11, 10**12)}-{rnd(24)}", kind
        if kind == "stripe":
            return "our key ", "sk_live_" + rnd(24), kind
        if kind == "openai":
            return "OPENAI_API_KEY=", "sk-proj-" + rnd(48, alnum + "-_"), kind
        if kind == "google":
            return "key=", "AIza" + rnd(35, alnum + "-_"), kind
        if kind == "sendgrid":
            return "SENDGRID_API_KEY=", f"SG.{rnd(22, alnum + '-_')}.{rnd(43, alnum + '-_')}", kind
        if kind == "generic_hex":
            return "api_key: ", rnd(32, "0123456789abcdef"), kind
        if kind == "jwt":
            return "Authorization: Bearer ", f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{rnd(60, alnum + '-_')}.{rnd(43, alnum + '-_')}", kind
        if kind == "password":
            pw = rnd(4, string.ascii_letters) + self.pick(["!", "#", "$", "%", "&", "?"]) + rnd(5) + str(r.randint(10, 99))
            return self.pick(["my password is ", "password: ", "pwd = ", "temp password: "]), pw, kind
        if kind == "db_url":
            return "postgres://app_user:", rnd(16), kind  # the password part of a connection string; the rest follows
        return "Authorization: Bearer ", rnd(40, alnum + "-_."), kind

    def address(self, one_line: bool | None = None) -> tuple[str, str, str]:
        loc = self.pick(ADDRESS_LOCALES)
        a = self.fk(loc).address().strip()
        lines = [x.strip() for x in a.split("\n") if x.strip()]
        if one_line is None:
            one_line = self.chance(0.5)
        return (", ".join(lines) if one_line else "\n".join(lines)), loc, "one_line" if one_line else "multi_line"

    def username(self, p: Person) -> str:
        g, s = _ascii(p.given).lower(), _ascii(p.surname).lower().replace(" ", "")
        return self.pick([f"{g}{s[:1]}{self.r.randint(1, 999)}", f"{g[0]}{s}", f"{g}_{s}", f"{s}.{g[0]}", f"{g}{self.r.randint(70, 99)}",
                          f"{g[:3]}{s[:3]}"])

    def date_line(self) -> str:
        return f"{self.pick(WEEKDAYS)}, {self.r.randint(1, 28)} {self.pick(MONTHS)} 2024 at {self.r.randint(7, 19):02d}:{self.r.randint(0, 59):02d}"


def _ascii(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).replace("ł", "l").replace("Ł", "L").replace("ı", "i")


def _luhn_complete(partial: str) -> str:
    total = 0
    for i, d in enumerate(reversed(partial)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return partial + str((10 - total % 10) % 10)


# -- message parts ------------------------------------------------------------------------------

GIVEN_GREET = {"given": 6, "full": 1.5, "title_surname": 1.5, "lower_given": 1}
SIGN = {"given": 4, "full": 4, "lower_given": 0.7, "upper_full": 0.5, "initial_surname": 0.4, "lower_full": 0.4}
MENTION = {"full": 4, "given": 4, "title_surname": 1, "lower_given": 0.5, "upper_given": 0.3}


def problem(g: Gen, f: Field) -> None:
    """One or two sentences describing an issue, with technical tokens."""
    choice = g.r.randrange(14)
    if choice == 0:
        f.t("Since updating ").k("product", g.pick(APPS)).t(" to ").k("version", g.pick(VERSIONS)).t(" I get ").k("error_code", g.pick(ERROR_CODES)).t(" every time I open ").k("file_path", g.pick(FILE_PATHS)).t(".")
    elif choice == 1:
        f.t("The app crashes on launch with ").k("error_code", g.pick(ERROR_CODES)).t(". The log is in ").k("file_path", g.pick(LOG_PATHS)).t(" if that helps.")
    elif choice == 2:
        f.t("Our integration calls ").k("function", g.pick(FUNCTIONS)).t(" against ").k("hostname", g.pick(HOSTNAMES)).t(" and has been getting ").k("error_code", g.pick(ERROR_CODES)).t(" since this morning.")
    elif choice == 3:
        f.t(g.pick(["My ", "Our ", ""])).k("order_number", g.pick(ORDER_NUMBERS)).t(g.pick([" was charged twice.", " never arrived.", " shows as delivered but nothing came.", " is stuck in processing."]))
    elif choice == 4:
        f.t("I can't sign in to ").k("product", g.pick(APPS)).t(", it just says ").k("error_code", g.pick(ERROR_CODES)).t(".")
    elif choice == 5:
        f.t("After the ").k("version", g.pick(VERSIONS)).t(" update the ").k("ui_label", g.pick(UI_LABELS)).t(" option is greyed out in ").k("product", g.pick(APPS)).t(".")
    elif choice == 6:
        f.t("Running ").k("command", g.pick(COMMANDS)).t(" fails with ").k("error_code", g.pick(ERROR_CODES)).t(" at ").k("timestamp", g.pick(TIMESTAMPS)).t(".")
    elif choice == 7:
        f.t("Sync to ").k("hostname", g.pick(HOSTNAMES)).t(" stopped working. Request id ").k("identifier", g.pick(IDENTIFIERS)).t(", in case you can look it up.")
    elif choice == 8:
        f.t("The ").k("product", g.pick(DEVICES + PRINTERS)).t(" we bought (").k("order_number", g.pick(ORDER_NUMBERS)).t(") won't turn on after the firmware ").k("version", g.pick(VERSIONS)).t(".")
    elif choice == 9:
        f.t("When I click ").k("ui_label", g.pick(UI_LABELS)).t(" nothing happens. Tried on ").k("product", g.pick(DEVICES)).t(" too.")
    elif choice == 10:
        f.t("We see ").k("error_code", g.pick(ERROR_CODES)).t(" in ").k("file_path", g.pick(FILE_PATHS)).t(" after deploying ").k("identifier", g.pick(IDENTIFIERS)).t(".")
    elif choice == 11:
        f.t("Is there a way to export everything from ").k("product", g.pick(APPS)).t(" before we cancel? ").k("ui_label", g.pick(UI_LABELS)).t(" only gives me the last 30 days.")
    elif choice == 12:
        f.t("Printing from ").k("product", g.pick(APPS)).t(" to the ").k("product", g.pick(PRINTERS)).t(" fails with ").k("error_code", g.pick(ERROR_CODES)).t(".")
    else:
        f.t("The webhook from ").k("hostname", g.pick(HOSTNAMES)).t(" hits ").k("function", g.pick(FUNCTIONS)).t(" twice for ").k("order_number", g.pick(ORDER_NUMBERS)).t(".")
    if g.chance(0.2):
        sentence, word = g.pick(PROSE_WORDS)
        i = sentence.index(word)
        f.t(" " + sentence[:i]).k("name_like_word", word, group="other").t(sentence[i + len(word):])


def structured(g: Gen, f: Field, p: Person, k: int = 1, kind: int | None = None) -> None:
    """k sentences giving personal data the way customers paste it (kind: which one, else random)."""
    for _ in range(k):
        c = g.r.randrange(10) if kind is None else kind
        f.t(" " if f.n and not f.text().endswith("\n") else "")
        if c == 0:
            num, country = g.phone()
            f.t(g.pick(["You can call me on ", "My number is ", "Best to reach me at ", "Call back on ", "mobile: "])).pii("PHONE_NUMBER", num, country=country).t(g.pick([".", "", " any time after 2pm."]))
        elif c == 1:
            f.t(g.pick(["Please reply to ", "My other email is ", "Send the invoice to ", "email me at "])).pii("EMAIL_ADDRESS", g.email(p)).t(g.pick([".", " please.", " instead of this one."]))
        elif c == 2:
            card, kind = g.card()
            f.t(g.pick(["The card used was ", "I paid with card ", "Card number: ", "it was charged to "])).pii("CREDIT_CARD", card, issuer=kind).t(g.pick([".", ", exp 08/27.", " (the company card)."]))
        elif c == 3:
            v, cc = g.iban()
            f.t(g.pick(["Please refund to IBAN ", "Our bank details: IBAN ", "refund to my account ", "IBAN: "])).pii("IBAN_CODE", v, country=cc).t(g.pick([".", ", BIC on file.", ""]))
        elif c == 4:
            f.t(g.pick(["For the tax form my SSN is ", "SSN ", "social security no. ", "The W-9 has SSN "])).pii("US_SSN", g.ssn()).t(".")
        elif c == 5:
            ip, ver = g.ip()
            f.t(g.pick(["The requests come from ", "Our office IP is ", "whitelist ", "blocked IP: "])).pii("IP_ADDRESS", ip, version=ver).t(g.pick([".", " please.", " (static)."]))
        elif c == 6:
            before, sec, kind = g.secret()
            f.t(g.pick(["I pasted the config by mistake: ", "Here is what we use: ", "", "Config:\n"])).t(before).pii("SECRET", sec, kind=kind)
            if kind == "db_url":
                f.t("@db.internal:5432/prod")
            f.t(g.pick([" - is that the problem?", "", " (please delete this after)."]))
        elif c == 7:
            addr, loc, layout = g.address()
            f.t(g.pick(["Please ship the replacement to:\n", "New delivery address: ", "Our address is ", "Send it to\n"])).pii("STREET_ADDRESS", addr, country=loc, layout=layout).t("\n" if layout == "multi_line" else ".")
        elif c == 8:
            f.t(g.pick(["My username is ", "login: ", "the account is ", "user id "])).pii("USERNAME", g.username(p)).t(g.pick([".", "", " on the portal."]))
        else:
            f.t(g.pick(["I'm based in ", "We moved the office to ", "I'm travelling to ", "I bought it at the store in "])).pii("LOCATION", g.pick(CITIES)).t(g.pick([".", ", if that matters.", " so the time zone is different."]))


def greeting(g: Gen, f: Field, p: Person | None) -> None:
    if p is None or g.chance(0.15):
        f.t(g.pick(["Hello,", "Hi there,", "Dear Support,", "Hi team,", "Good morning,", "To whom it may concern,"]) + "\n\n")
        return
    f.t(g.pick(["Hi ", "Hello ", "Dear ", "Hey ", "Good morning ", "Hallo ", "Hi again "]))
    g.name(f, p, "greeting", GIVEN_GREET)
    f.t(g.pick([",", "!", " -", ",", ""]) + "\n\n")


def intro_mention(g: Gen, f: Field, p: Person) -> None:
    """A sentence that introduces a person by a phrase before or after the name."""
    c = g.r.randrange(12)
    if c == 0:
        f.t("My colleague ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(" reported the same thing yesterday.")
    elif c == 1:
        f.t("I've copied ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(f" from {g.pick(DEPARTMENTS)} on this.")
    elif c == 2:
        g.name(f, p, "intro_phrase", MENTION)
        f.t(f" from {g.pick(DEPARTMENTS)} will send you the PO.")
    elif c == 3:
        f.t("Please loop in ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(", who manages our account.")
    elif c == 4:
        f.t("I spoke to ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(" on the phone last week and was told it would be fixed.")
    elif c == 5:
        f.t("Our office manager, ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(", approved the upgrade.")
    elif c == 6:
        f.t("You can also contact ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(" while I'm away.")
    elif c == 7:
        g.name(f, p, "intro_phrase", MENTION)
        f.t(" (our sysadmin) already tried reinstalling.")
    elif c == 8:
        f.t("This was set up by ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(", who has since left the company.")
    elif c == 9:
        f.t("Handing over to ")
        g.name(f, p, "intro_phrase", MENTION)
        f.t(g.pick([" for the refund.", ", who will follow up."]))
    elif c == 10:
        g.name(f, p, "mention", {"given": 3, "full": 2, "lower_given": 0.5})
        f.t(g.pick([" said it would be sorted by Friday.", " thinks it's the router.", " will be on site on Tuesday."]))
    else:
        f.t("It's ")
        g.name(f, p, "possessive", {"given": 3, "full": 1})
        f.t(g.pick(["'s laptop that keeps failing.", "'s account that is locked."]))


def signoff(g: Gen, f: Field, p: Person, contact: bool = False) -> None:
    """How a message ends: many shapes."""
    c = g.r.randrange(9)
    f.t("\n\n")
    if c <= 2:
        f.k("closing", g.pick(["Thanks,", "Best regards,", "Kind regards,", "Cheers,", "Regards,", "Best,", "Thank you,", "Many thanks,", "Thx,"]), group="other").t("\n")
        g.name(f, p, "signoff_after_closing", SIGN)
    elif c == 3:
        f.t(g.pick(["--\n", "-- \n", "---\n", "____________\n", "—\n"]))
        g.name(f, p, "signoff_dash_line", {"full": 5, "given": 2, "upper_full": 0.5})
        if g.chance(0.6):
            job, company = g.pick(JOB_TITLES), g.pick(COMPANIES)
            f.t("\n").k("job_title", job, group="other").t(" | ").k("company", company, group="other")
    elif c == 4:
        f.t(g.pick(["-", "- ", "–", "~", "—"]))
        g.name(f, p, "signoff_dash_name", {"given": 6, "lower_given": 1, "full": 1})
    elif c == 5:
        g.name(f, p, "signoff_alone", {"given": 4, "full": 4, "lower_given": 1, "upper_given": 0.5})
    elif c == 6:
        f.t(g.pick(["Thanks ", "Thank you ", "Cheers ", "Thanks again ", "Thx "]))
        f.t("for the help!\n")
        g.name(f, p, "signoff_after_closing", SIGN)
    elif c == 7:
        f.t(g.pick(["Sent from my iPhone\n", ""]) + g.pick(["Best wishes, ", "Regards ", "Br, "]))
        g.name(f, p, "signoff_after_closing", SIGN)
    else:
        f.t(g.pick(["Thanks,\n", "Regards,\n"]))
        g.name(f, p, "bracket_contact", {"full": 5, "given": 1})
        contact = True
    if contact:
        opener = g.pick([" (", " <", " [", "\n("])
        f.t(opener)
        if g.chance(0.6):
            f.pii("EMAIL_ADDRESS", g.email(p))
            if g.chance(0.5):
                num, cc = g.phone()
                f.t(", ").pii("PHONE_NUMBER", num, country=cc)
        else:
            num, cc = g.phone()
            f.t(g.pick(["", "tel. ", "mob "])).pii("PHONE_NUMBER", num, country=cc)
        f.t({"(": ")", "<": ">", "[": "]"}[opener.strip()])


def thanks_inline(g: Gen, f: Field, p: Person) -> None:
    f.t(g.pick(["Thanks ", "Thank you so much ", "thx ", "Cheers ", "Many thanks "]))
    g.name(f, p, "thanks_inline", {"given": 6, "lower_given": 2, "full": 1})
    f.t(g.pick([" for the quick reply, that worked.", ", that fixed it!", " - much appreciated.", " for sorting this out so fast."]))


def agent_reply(g: Gen, f: Field, customer: Person, agent: Person) -> None:
    f.t(g.pick(["Hi ", "Hello ", "Dear ", "Hi there ", "Good afternoon "]))
    g.name(f, customer, "greeting", GIVEN_GREET)
    f.t(",\n\n")
    f.t(g.pick(["Thanks for reaching out. ", "Sorry about the trouble. ", "Thank you for the details. ", ""]))
    c = g.r.randrange(5)
    if c == 0:
        f.t("I've checked ").k("order_number", g.pick(ORDER_NUMBERS)).t(" and refunded the duplicate charge.")
    elif c == 1:
        f.t("Please update to ").k("version", g.pick(VERSIONS)).t(" and clear the cache in ").k("file_path", g.pick(FILE_PATHS)).t(".")
    elif c == 2:
        f.t("This is a known issue with ").k("product", g.pick(APPS)).t(" ").k("version", g.pick(VERSIONS)).t("; the fix ships next week.")
    elif c == 3:
        f.t("Could you run ").k("command", g.pick(COMMANDS)).t(" and send us the output? Look for ").k("error_code", g.pick(ERROR_CODES)).t(".")
    else:
        f.t("Go to ").k("ui_label", g.pick(UI_LABELS)).t(" and then ").k("ui_label", g.pick(UI_LABELS)).t(".")
    if g.chance(0.35):
        f.t(" If it happens again, ")
        colleague = g.person()
        g.name(f, colleague, "intro_phrase", MENTION)
        f.t(g.pick([" from our billing team will call you.", " in tier 2 has your case now.", " will follow up tomorrow."]))
    f.t("\n\n" + g.pick(["Best,", "Kind regards,", "Thanks,", "Cheers,", "Regards,"]) + "\n")
    g.name(f, agent, "signoff_after_closing", {"given": 5, "full": 4})
    if g.chance(0.4):
        team, brand = g.pick(["Customer Support", "Support Team", "Tier 2 Support", "Billing"]), g.pick(["Acme Cloud", "Orbit", "Fjordly", "Helix"])
        f.t("\n").k("team", team, group="other").t(" | ").k("company", brand, group="other")


# -- styles ------------------------------------------------------------------------------------


def helpdesk(g: Gen, i: int) -> dict:
    cust, agent = g.person(), g.person(g.pick(["en_US", "en_GB", "en_IN"] + NAME_LOCALES))
    title = Field("title")
    if g.chance(0.15):
        title.t(g.pick(["Refund request - ", "Account locked for ", "Invoice question from "]))
        g.name(title, cust, "title_subject", {"full": 3, "given": 1, "upper_full": 0.5})
    else:
        title.t(g.pick(["Can't log in", "Double charge", "Order not received", "App crashes after update", "Export not working",
                        "Question about my invoice", "Error when syncing", "Printer offline", "URGENT: site down"]))
        if g.chance(0.4):
            if g.chance(0.5):
                title.t(" - ").k("error_code", g.pick(ERROR_CODES))
            else:
                title.t(" - ").k("product", g.pick(PRODUCTS))
    m0 = Field("m0")
    greeting(g, m0, None if g.chance(0.75) else agent)
    problem(g, m0)
    if g.chance(0.5):
        m0.t(" ")
        problem(g, m0)
    if g.chance(0.45):
        m0.t(" ")
        intro_mention(g, m0, g.person())
    structured(g, m0, cust, k=g.r.randint(1, 3))
    signoff(g, m0, cust, contact=g.chance(0.2))
    m1 = Field("m1")
    agent_reply(g, m1, cust, agent)
    fields = [title, m0, m1]
    if g.chance(0.4):
        m2 = Field("m2")
        thanks_inline(g, m2, agent)
        if g.chance(0.5):
            structured(g, m2, cust, k=1)
        if g.chance(0.5):
            signoff(g, m2, cust)
        fields.append(m2)
    return _record(i, "helpdesk", fields, ["user", "assistant", "user"][:len(fields) - 1])


def email(g: Gen, i: int) -> dict:
    cust, agent = g.person(), g.person(g.pick(["en_US", "en_GB"] + NAME_LOCALES))
    subj = g.pick(["Re: Invoice ", "RE: Ticket ", "Fwd: Delivery problem ", "AW: Rechnung ", "Re: [Support] "])
    title = Field("title")
    title.t(subj).k("order_number", g.pick(ORDER_NUMBERS))
    f = Field("m0")
    greeting(g, f, agent if g.chance(0.8) else None)
    f.t(g.pick(["Thanks for getting back to me. ", "Following up on the below. ", "Sorry for the delay. ", ""]))
    problem(g, f)
    if g.chance(0.5):
        f.t(" ")
        intro_mention(g, f, g.person())
    structured(g, f, cust, k=g.r.randint(1, 3))
    # signature block
    if g.chance(0.6):
        f.t("\n\n").k("closing", g.pick(["Best regards,", "Kind regards,", "Thanks,", "Regards,", "Mit freundlichen Grüßen,", "Cordialement,", "Saludos,"]), group="other").t("\n")
        g.name(f, cust, "signoff_after_closing", SIGN)
        if g.chance(0.7):
            job, company = g.pick(JOB_TITLES), g.pick(COMPANIES)
            f.t("\n").k("job_title", job, group="other").t("\n").k("company", company, group="other").t("\n")
            num, cc = g.phone()
            f.t(g.pick(["T: ", "Tel: ", "Phone: ", "M: ", "Mobile "])).pii("PHONE_NUMBER", num, country=cc)
            if g.chance(0.5):
                addr, loc, layout = g.address(one_line=g.chance(0.6))
                f.t("\n").pii("STREET_ADDRESS", addr, country=loc, layout=layout)
    else:
        f.t("\n\n-- \n")
        g.name(f, cust, "signoff_dash_line", {"full": 5, "upper_full": 0.5, "given": 1})
        job, company = g.pick(JOB_TITLES), g.pick(COMPANIES)
        f.t("\n").k("job_title", job, group="other").t(", ").k("company", company, group="other").t("\n")
        f.pii("EMAIL_ADDRESS", g.email(cust, company=True)).t(" | ")
        num, cc = g.phone()
        f.pii("PHONE_NUMBER", num, country=cc)
    f.t("\n\n")
    # quoted history
    agent_email = g.pick(["support@acme-cloud.io", "help@orbit.app", "billing@fjordly.com"])
    if g.chance(0.5):
        f.t("On ").k("date", g.date_line(), group="other").t(", ")
        g.name(f, agent, "quote_attribution", {"full": 4, "given": 1})
        f.t(" <").pii("EMAIL_ADDRESS", agent_email, mailbox="role").t("> wrote:\n> ")
    else:
        f.t("-----Original Message-----\nFrom: ")
        g.name(f, agent, "header_from", {"full": 3, "surname_given": 2})
        f.t(" <").pii("EMAIL_ADDRESS", agent_email, mailbox="role").t(">\nSent: ").k("date", g.date_line(), group="other").t("\nTo: ")
        g.name(f, cust, "header_to", {"full": 3, "surname_given": 1, "given": 0.3})
        f.t(" <").pii("EMAIL_ADDRESS", g.email(cust)).t(">\n")
        if g.chance(0.4):
            f.t("Cc: ")
            g.name(f, g.person(), "header_cc", {"full": 3, "surname_given": 1})
            f.t("\n")
        f.t("Subject: RE: ").k("order_number", g.pick(ORDER_NUMBERS)).t("\n\n")
    quoted = Field("_q")
    agent_reply(g, quoted, cust, agent)
    # the quoted reply goes in with "> " prefixes: shift its spans
    prefix = "> " if f.text().endswith("> ") else ""
    q_text = quoted.text()
    base = f.n
    lines = q_text.split("\n")
    out, mapping, pos = [], {}, 0
    cur = 0
    for li, line in enumerate(lines):
        pre = "" if (li == 0 and prefix) else ("> " if prefix else "")
        for j in range(len(line) + 1):
            mapping[pos + j] = cur + len(pre) + j
        out.append(pre + line)
        cur += len(pre) + len(line) + 1
        pos += len(line) + 1
    new_q = "\n".join(out)
    for s in quoted.spans:
        f.spans.append({**s, "field": f.name, "start": base + mapping[s["start"]], "end": base + mapping[s["end"]]})
    for s in quoted.keep:
        f.keep.append({**s, "field": f.name, "start": base + mapping[s["start"]], "end": base + mapping[s["end"]]})
    f.t(new_q)
    return _record(i, "email", [title, f], ["user"])


def chat(g: Gen, i: int) -> dict:
    cust, agent = g.person(), g.person(g.pick(["en_US", "en_GB", "en_IN", "es_MX", "pt_BR"]))
    fields, roles = [], []

    def turn(role: str) -> Field:
        fld = Field(f"m{len(fields)}")
        fields.append(fld)
        roles.append(role)
        return fld

    a = turn("assistant")
    a.t(g.pick(["You are now chatting with ", "Hi! You're speaking with ", "Hello, my name is ", "Hi, I'm "]))
    g.name(a, agent, "chat_intro", {"given": 5, "full": 1})
    a.t(g.pick([". How can I help you today?", " from support. What can I do for you?", ". How can I help?"]))
    u = turn("user")
    lower = g.chance(0.5)
    u.t("hi " if lower else "Hi ")
    g.name(u, agent, "greeting", {"lower_given": 3, "given": 3} if lower else {"given": 1})
    u.t(g.pick([", ", " - ", "! "]))
    if g.chance(0.6):
        before, after = g.pick([("its ", " here. "), ("this is ", ". "), ("it's ", " again. "), ("my name is ", ". "), ("I'm ", ", ")])
        u.t(before)
        g.name(u, cust, "self_intro", {"lower_given": 2, "given": 2, "lower_full": 1, "full": 2})
        u.t(after)
    problem(g, u)
    a = turn("assistant")
    a.t(g.pick(["Thanks ", "Thank you ", "Sorry to hear that, ", "Got it "]))
    g.name(a, cust, "greeting", {"given": 5, "title_surname": 1})
    asked = g.r.randrange(4)
    a.t([". Can you confirm the email on the account?", ". Could you give me your phone number so I can verify you?",
         ". What's the delivery address on the order?", ". Can I have the account username?"][asked])
    u = turn("user")
    structured(g, u, cust, k=1, kind=[1, 0, 7, 8][asked])
    if g.chance(0.5):
        structured(g, u, cust, k=1)
    if g.chance(0.4):
        u.t(" ")
        intro_mention(g, u, g.person())
    a = turn("assistant")
    a.t("Perfect, I can see it. ")
    if g.chance(0.5):
        a.t("I've fixed ").k("order_number", g.pick(ORDER_NUMBERS)).t(". ")
    else:
        a.t("Please update to ").k("version", g.pick(VERSIONS)).t(". ")
    if g.chance(0.4):
        a.t("I'm transferring you to ")
        g.name(a, g.person(), "intro_phrase", {"given": 4, "full": 2})
        a.t(" in billing.")
    u = turn("user")
    thanks_inline(g, u, agent)
    if g.chance(0.4):
        u.t(g.pick([" bye", " :)", "", " have a good one"]))
    return _record(i, "chat", fields, roles)


def form(g: Gen, i: int) -> dict:
    cust = g.person()
    f = Field("m0")
    label = g.pick(["Name: ", "Full name: ", "Customer name: ", "Contact person: ", "Your name: ", "Account holder: "])
    f.t(label)
    g.name(f, cust, "form_field", {"full": 6, "upper_full": 1.5, "lower_full": 0.7, "surname_given": 0.8})
    f.t("\nEmail: ").pii("EMAIL_ADDRESS", g.email(cust))
    if g.chance(0.8):
        num, cc = g.phone()
        f.t(g.pick(["\nPhone: ", "\nTelephone: ", "\nMobile: "])).pii("PHONE_NUMBER", num, country=cc)
    if g.chance(0.6):
        f.t("\nCompany: ").k("company", g.pick(COMPANIES), group="other")
    if g.chance(0.6):
        addr, loc, layout = g.address(one_line=True)
        f.t(g.pick(["\nAddress: ", "\nShipping address: ", "\nBilling address: "])).pii("STREET_ADDRESS", addr, country=loc, layout=layout)
    f.t("\nOrder number: ").k("order_number", g.pick(ORDER_NUMBERS))
    f.t("\nProduct: ").k("product", g.pick(PRODUCTS))
    f.t("\nMessage:\n")
    problem(g, f)
    if g.chance(0.4):
        structured(g, f, cust, k=1)
    if g.chance(0.4):
        signoff(g, f, cust)
    return _record(i, "form", [f], ["user"])


def notes(g: Gen, i: int) -> dict:
    cust, agent = g.person(), g.person()
    f = Field("m0")
    c = g.r.randrange(3)
    f.t(g.pick(["Called ", "Spoke with ", "Inbound call from ", "Callback to "]))
    g.name(f, cust, "notes_mention", {"full": 4, "title_surname": 1, "given": 1})
    f.t(" on ")
    num, cc = g.phone()
    f.pii("PHONE_NUMBER", num, country=cc).t(". ")
    if c == 0:
        f.t("Customer confirmed the new address: ")
        addr, loc, layout = g.address(one_line=True)
        f.pii("STREET_ADDRESS", addr, country=loc, layout=layout).t(". ")
    elif c == 1:
        f.t("Verified with last four of the card and DOB. Full card read out by customer: ")
        card, kind = g.card()
        f.pii("CREDIT_CARD", card, issuer=kind).t(" (should not have been noted). ")
    else:
        f.t("Customer wants refund by bank transfer, ")
        v, ccode = g.iban()
        f.pii("IBAN_CODE", v, country=ccode).t(". ")
    problem(g, f)
    f.t(" ")
    f.t(g.pick(["Escalated to ", "Assigned to ", "Passed to ", "cc "]))
    g.name(f, agent, "notes_mention", {"full": 3, "given": 3, "lower_given": 0.5})
    f.t(g.pick([" (billing).", " in tier 2.", " for approval.", "."]))
    if g.chance(0.4):
        f.t(" ")
        intro_mention(g, f, g.person())
    if g.chance(0.3):
        f.t("\n- ")
        g.name(f, g.person(), "signoff_dash_name", {"given": 3, "full": 1, "initial_surname": 1})
    return _record(i, "notes", [f], ["assistant"])


def social(g: Gen, i: int) -> dict:
    cust = g.person()
    f = Field("m0")
    brand = g.pick(["@AcmeHelp", "@OrbitSupport", "@FjordlyCares", "@HelixApp"])
    c = g.r.randrange(5)
    if c == 0:
        f.k("brand_handle", brand, group="other").t(" my order ").k("order_number", g.pick(ORDER_NUMBERS)).t(" still isn't here after 2 weeks. DM'd you my email ").pii("EMAIL_ADDRESS", g.email(cust)).t(" ")
        f.t(g.pick(["-", "~", "^"]))
        g.name(f, cust, "signoff_dash_name", {"given": 3, "lower_given": 2, "upper_given": 0.5})
    elif c == 1:
        f.t("hey ").k("brand_handle", brand.lower(), group="other").t(" its ")
        g.name(f, cust, "self_intro", {"lower_given": 3, "lower_full": 1, "given": 1})
        f.t(" again, app still crashes on ").k("version", g.pick(VERSIONS)).t(" with ").k("error_code", g.pick(ERROR_CODES)).t(". call me ")
        num, cc = g.phone()
        f.pii("PHONE_NUMBER", num, country=cc)
    elif c == 2:
        f.k("brand_handle", brand, group="other").t(" shoutout to ")
        g.name(f, g.person(), "mention", {"given": 3, "full": 1, "lower_given": 1})
        f.t(" from your support team, fixed my ").k("product", g.pick(PRODUCTS)).t(" in 5 min! ")
        thanks_inline(g, f, g.person())
    elif c == 3:
        f.t("@")
        f.pii("USERNAME", g.username(cust))
        f.t(" same here, ").k("product", g.pick(PRODUCTS)).t(" down since ").k("timestamp", g.pick(TIMESTAMPS)).t(" ").k("brand_handle", brand, group="other")
    else:
        f.k("brand_handle", brand, group="other").t(" ")
        problem(g, f)
        f.t(" ")
        structured(g, f, cust, k=1)
        f.t("\n")
        g.name(f, cust, "signoff_alone", {"given": 2, "lower_given": 1, "full": 1})
    return _record(i, "social", [f], ["user"])


def _record(i: int, style: str, fields: list[Field], roles: list[str]) -> dict:
    title = next((f for f in fields if f.name == "title"), None)
    msgs = [f for f in fields if f.name != "title"]
    assert len(msgs) == len(roles), (style, len(msgs), len(roles))
    spans, keep = [], []
    for f in fields:
        text = f.text()
        for s in f.spans:
            assert text[s["start"]:s["end"]] == s["value"], (style, s)
        for s in f.keep:
            assert text[s["start"]:s["end"]] == s["value"], (style, s)
        spans += f.spans
        keep += f.keep
    return {
        "id": f"indep-{i:04d}", "style": style, "title": title.text() if title else None,
        "messages": [{"role": r, "content": f.text()} for r, f in zip(roles, msgs)],
        "spans": spans, "keep": keep,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE / "messages.jsonl")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    g = Gen(args.seed)
    makers = {"helpdesk": helpdesk, "email": email, "chat": chat, "form": form, "notes": notes, "social": social}
    order = [s for s, n in STYLES.items() for _ in range(n)]
    g.r.shuffle(order)
    rows = [makers[s](g, i) for i, s in enumerate(order)]
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    meta = {"seed": args.seed, "records": len(rows), "faker": faker.VERSION, "phonenumbers": phonenumbers.__version__,
            "styles": STYLES, "name_locales": NAME_LOCALES}
    (args.out.parent / "messages.meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    from collections import Counter

    print(f"{len(rows)} records -> {args.out}")
    print("gold:", dict(Counter(s["type"] for r in rows for s in r["spans"])))
    print("keep:", dict(Counter(k["kind"] for r in rows for k in r["keep"])))


if __name__ == "__main__":
    main()
