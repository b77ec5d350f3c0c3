"""Technical content that looks like PII to a model or a pattern but is not personal:
version and build numbers, error codes, hex addresses and hashes, UUIDs, timestamps, file
names, and common product names. Detections inside these spans are dropped (secrets,
emails, cards and IBANs excepted: those are never technical)."""

from __future__ import annotations

import bisect
import itertools

import regex as re

#: Entity types a technical span can never excuse.
NEVER_TECHNICAL = frozenset({"SECRET", "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "CRYPTO", "US_SSN"})

_PATTERNS = [
    # versions and builds: v2.4.1, 3.8.18, 10.0.19045.3693 after "version", 1.2.3-beta.1
    r"(?<![\w.])[vV]\d+(?:\.\d+){0,3}(?:[\-+][\w.]+)?(?![\w])",
    r"(?<![\w])(?i:version|ver\.?|build|release|firmware|patch|revision|rev\.?|kernel|bios)[ \t:#]*+\d+(?:[.\-]\d+)*[A-Za-z]?\d*",
    # error and status codes: 0x80070005, ERR_CONNECTION_REFUSED, E1234, HTTP 503, KB5034441, CVE-2024-12345
    r"(?<![\w])0[xX][0-9A-Fa-f]{2,16}(?![\w])",
    r"(?<![\w])[A-Z][A-Z0-9]*_[A-Z0-9_]{2,}(?![\w])",
    r"(?<![\w])(?:[A-Z]{1,5}[\-_]?\d{2,7}(?:[\-_]\d+)*|CVE-\d{4}-\d{4,7})(?![\w])",
    r"(?<![\w])(?i:http|status|error|code|exit code|errno|sqlstate)[ \t:#]*+\d{3,5}",
    # hashes, commit ids, UUIDs
    r"(?<![\w])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}(?![\w])",
    r"(?<![\w])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w])",
    # template slots and placeholders: {{Order Number}}, {name}, <PERSON_1>, [REDACTED]
    r"\{\{[^{}\n]{1,80}\}\}|\{[^{}\n]{1,60}\}|<[A-Z][A-Z0-9_]*(?::[0-9a-f]+)?>|\[[A-Z][A-Z _]{2,30}\]",
    # ISO timestamps and times
    r"(?<![\w])\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)?(?![\w])",
    r"(?<![\w:])\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?![\w:])",
    # file paths and code identifiers
    # entered at the start of a name only: in a run of "-" each character was a start
    r"(?<![\w\-])[\w\-]++\.(?:py|js|ts|java|go|rs|rb|php|cs|cpp|c|h|json|yaml|yml|xml|html|css|log|txt|csv|sql|sh|exe|dll|so|dmg|pkg|msi|apk|zip|tar|gz)(?![\w])",
]

#: Product and technology names NER likes to call a person, place or organisation.
PRODUCT_NAMES = """
Windows macOS OS X iOS iPadOS Android Linux Ubuntu Debian Fedora CentOS RHEL Chrome Chromium Firefox Safari
Edge Opera Brave Outlook Gmail Excel Word PowerPoint OneDrive OneNote SharePoint Teams Office Slack Zoom
Skype Discord Jira Confluence Trello Asana Notion Salesforce HubSpot Zendesk Freshdesk Intercom Shopify
Stripe PayPal Venmo Square Visa Mastercard Amex AWS Azure GCP Google Cloud Kubernetes Docker Terraform
Ansible Jenkins GitHub GitLab Bitbucket Git npm PyPI Python Java JavaScript TypeScript Node Node.js React
Angular Vue Django Flask Rails Ruby PHP Go Rust Kotlin Swift PostgreSQL Postgres MySQL MariaDB SQLite
MongoDB Redis Elasticsearch Kafka RabbitMQ Nginx Apache Tomcat IIS Cloudflare Heroku Vercel Netlify
Firebase Supabase Okta Auth0 LDAP Active Directory Entra OAuth SAML SSO VPN Wi-Fi WiFi Bluetooth USB HDMI
Sonoma Ventura Monterey Catalina Sequoia Big Sur iPhone iPad MacBook iMac Pixel Galaxy Surface ThinkPad Kindle Alexa Siri Cortana Copilot ChatGPT OpenAI
Dropbox Box WhatsApp Telegram Signal Instagram Facebook Twitter LinkedIn YouTube TikTok Spotify Netflix
Uber Airbnb Amazon Prime Apple Microsoft Google Meta IBM Oracle SAP Adobe Photoshop Acrobat Reader
QuickBooks Xero Workday Tableau Power BI Snowflake Databricks Airflow Grafana Prometheus Datadog Splunk
Sentry PagerDuty Twilio SendGrid Mailchimp Cisco Webex Citrix VMware VirtualBox Hyper-V Raspberry Pi
Arduino Nvidia CUDA Intel AMD Ryzen Xbox PlayStation Nintendo Switch Steam Epic Unity Unreal Roblox
Discover Klarna Afterpay Affirm Apple Pay Google Pay Samsung Pay Alipay WeChat Zelle Revolut Wise DHL FedEx
UPS USPS
""".split()
# Bare dotted numbers (3.8.18): versions, unless they are a phone (930.167.3943) or an IP.
_DOTTED = r"(?<![\w.])\d+\.\d+(?:\.\d+)?(?:[\-+][A-Za-z][\w.]*)?(?![\w]|\.\d)"
#: Entity types a bare dotted number does not excuse.
NOT_EXCUSED_BY_DOTTED = frozenset({"PHONE_NUMBER", "IP_ADDRESS", "STREET_ADDRESS"})
_PRODUCT_RE = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(p) for p in sorted(set(PRODUCT_NAMES), key=len, reverse=True)) + r")(?![\w])")
_TECH_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


_DOTTED_RE = re.compile(_DOTTED)


def technical_spans(text: str) -> list[tuple[int, int, bool]]:
    """Spans of technical tokens in ``text`` as (start, end, weak); a weak span (a bare
    dotted number) does not excuse the types in NOT_EXCUSED_BY_DOTTED."""
    out = [(*m.span(), False) for m in _TECH_RE.finditer(text)]
    out += [(*m.span(), False) for m in _PRODUCT_RE.finditer(text)]
    out += [(*m.span(), True) for m in _DOTTED_RE.finditer(text)]
    return out


class TechnicalSpans:
    """Technical spans, and whether one excuses a detection, in logarithmic time (a text
    with thousands of detections and tokens must not compare each with each)."""

    def __init__(self, spans: list[tuple[int, int, bool]]):
        strong = sorted((s, e) for s, e, weak in spans if not weak)
        every = sorted((s, e) for s, e, _ in spans)
        self._strong = ([s for s, _ in strong], list(itertools.accumulate((e for _, e in strong), max)))
        self._every = ([s for s, _ in every], list(itertools.accumulate((e for _, e in every), max)))

    def excuses(self, entity: str, start: int, end: int, never: frozenset[str] = frozenset()) -> bool:
        """Whether a detection lies inside a technical span that may excuse its type
        (``never``: more types that are never excused, e.g. the config's own patterns);
        a weak span (a bare dotted number) does not excuse NOT_EXCUSED_BY_DOTTED."""
        if entity in NEVER_TECHNICAL or entity in never:
            return False
        starts, reach = self._strong if entity in NOT_EXCUSED_BY_DOTTED else self._every
        i = bisect.bisect_right(starts, start)
        return i > 0 and reach[i - 1] >= end


def excused(entity: str, start: int, end: int, spans: list[tuple[int, int, bool]], never: frozenset[str] = frozenset()) -> bool:
    """Whether a detection lies inside a technical span that may excuse its type (one
    detection; many are tested with :class:`TechnicalSpans`)."""
    return TechnicalSpans(spans).excuses(entity, start, end, never)


_PRODUCT_WORDS = frozenset(w.lower() for p in PRODUCT_NAMES for w in p.split())


def is_product_name(value: str) -> bool:
    """A product name, or words that are all product names ("macOS Sonoma")."""
    v = value.strip()
    if _PRODUCT_RE.fullmatch(v):
        return True
    words = [w.strip(".,'’") for w in v.split()]
    return bool(words) and all(w.lower() in _PRODUCT_WORDS for w in words)
