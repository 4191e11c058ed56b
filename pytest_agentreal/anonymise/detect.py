"""Finding personal data and secrets: by field name, and by value with pattern detectors.

Used by ``agentreal anonymise`` (what to replace) and reusable by ``agentreal lint`` (what was left
in samples and cassettes). A :class:`Detection` says *what kind* was found *where* — never the
value itself, so a detection can be printed safely.

Pattern detectors live in a registry (:func:`register_detector`), ordered by priority: when two
detections overlap, the earlier-registered one wins (an API key beats a phone-looking run of digits).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..pointers import join
from .formats import (
    EMAIL_RE,
    IBAN_LENGTHS,
    KINDS,
    REDACTED,
    card_brand_prefix,
    iban_valid,
    ip_is_personal,
    luhn_valid,
    reserved_domain,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True, slots=True)
class Detection:
    """``kind`` found at ``text[start:end]`` (of the leaf at ``pointer`` for records)."""

    kind: str
    start: int
    end: int
    pointer: str = ""


SECRET_KINDS = frozenset({"api_key", "url_token", "secret"})
"""Kinds that are removed (replaced by ``[REDACTED]``), never pseudonymised."""

Span = tuple[str, int, int]
Detector = Callable[[str], Iterable[Span]]
DETECTORS: dict[str, Detector] = {}


def register_detector(name: str, detector: Detector) -> Detector:
    """Add a pattern detector (``text -> (kind, start, end)…``); registration order is priority."""
    DETECTORS[name] = detector
    return detector


# --------------------------------------------------------------------------- secrets

_API_KEY_RE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_-]{20,}"
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"
    r"|\bAIza[0-9A-Za-z_-]{35}"
    r"|\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|\bglpat-[A-Za-z0-9_-]{20,}"
    r"|\bhf_[A-Za-z0-9]{30,}"
    r"|\bnpm_[A-Za-z0-9]{36}\b"
    r"|\bSG\.[\w-]{16,}\.[\w-]{16,}"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
)
_BEARER_RE = re.compile(r"\b(?:Bearer|Basic|Token)\s+([A-Za-z0-9._~+/-]{16,}=*)", re.IGNORECASE)


_API_KEY_MARKERS = ("-----BEGIN", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AKIA",
                    "ASIA", "AIza", "_live_", "_test_", "glpat-", "hf_", "npm_", "SG.", "eyJ")  # fmt: skip
"""Text that every shape of _API_KEY_RE contains: without any, the (slow) scan is skipped."""


def _api_keys(text: str) -> Iterator[Span]:
    if any(marker in text for marker in _API_KEY_MARKERS):
        for match in _API_KEY_RE.finditer(text):
            yield "api_key", match.start(), match.end()
    # Case-insensitive matching also folds a few non-ASCII letters (ı, ſ, K) into these words: the
    # shortcut is for ASCII text only.
    lowered = text.lower()
    if not text.isascii() or "bearer" in lowered or "basic" in lowered or "token" in lowered:
        for match in _BEARER_RE.finditer(text):
            yield "api_key", match.start(1), match.end(1)


register_detector("api_key", _api_keys)

# --------------------------------------------------------------------------- tokens in URLs

_URL_RE = re.compile(r"\b(?:https?|wss?|ftp)://[^\s<>\"'`\])}]+", re.IGNORECASE)
_SECRET_PARAMS = _words(
    "token access_token refresh_token id_token auth_token api_key apikey key sig signature secret "
    "client_secret password pass pwd passwd auth code session sessionid session_id sid jwt otp "
    "reset_token invite_token magic_token x-amz-signature x-amz-credential x-amz-security-token "
    "x-goog-signature x-goog-credential"
)
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _looks_like_token(value: str, minimum: int) -> bool:
    """Long, opaque, mixed letters and digits: the shape of a credential, not of a word or an id."""
    return (
        len(value) >= minimum
        and re.fullmatch(r"[A-Za-z0-9_~.%+/=-]+", value) is not None
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not _UUID_RE.fullmatch(value)
    )


def _url_tokens(text: str) -> Iterator[Span]:
    for match in _URL_RE.finditer(text):
        url, base = match[0].rstrip(".,;:!?"), match.start()
        # user:password@host
        if (auth := re.match(r"[a-z]+://[^/@\s:]+:([^/@\s]+)@", url, re.IGNORECASE)) is not None:
            yield "url_token", base + auth.start(1), base + auth.end(1)
        split = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
        path = url[:split]
        for segment in re.finditer(r"(?<=/)[^/?#\[]+", path):
            if segment.start() > path.find("//") + 2 and _looks_like_token(segment[0], 32):
                yield "url_token", base + segment.start(), base + segment.end()
        for param in re.finditer(r"[?&#;]([^=&#;]+)=([^&#;]*)", url[split:]):
            name, value = unquote(param[1]).lower(), param[2]
            # "[" starts the [REDACTED] marker of an earlier pass, never a real token.
            if value and not value.startswith("[") and (name in _SECRET_PARAMS or _looks_like_token(value, 24)):
                yield "url_token", base + split + param.start(2), base + split + param.end(2)


register_detector("url_token", _url_tokens)

# --------------------------------------------------------------------------- e-mail, IBAN, cards

_EMAIL_SCAN_RE = re.compile(r"(?<![\w.+'-])" + EMAIL_RE.pattern)


def _emails(text: str) -> Iterator[Span]:
    for match in _EMAIL_SCAN_RE.finditer(text):
        if not reserved_domain(match[0].rpartition("@")[2]):
            yield "email", match.start(), match.end()


register_detector("email", _emails)

_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?=[ ]?[A-Za-z0-9])")


def _ibans(text: str) -> Iterator[Span]:
    for match in _IBAN_START_RE.finditer(text):
        length = IBAN_LENGTHS.get(match[0][:2].upper())
        if length is None:
            continue
        count, end = 4, match.end()
        while count < length and end < len(text):
            if text[end].isalnum() and text[end].isascii():
                count, end = count + 1, end + 1
            elif text[end] == " " and end + 1 < len(text) and text[end + 1].isalnum():
                end += 1
            else:
                break
        at_boundary = not (end < len(text) and text[end].isalnum())
        if count == length and at_boundary and iban_valid(text[match.start() : end]):
            yield "iban", match.start(), end


register_detector("iban", _ibans)

# Not inside a longer token (a hex trace id or a reference like "ab1234..."): no letters or digits
# around the number.
_CARD_RE = re.compile(r"(?<![\w+.,/-])\d(?:[ -]?\d){12,18}(?![\w/]|[.,]\d)")


def _cards(text: str) -> Iterator[Span]:
    for match in _CARD_RE.finditer(text):
        raw = match[0]
        digits = raw.replace(" ", "").replace("-", "")
        # One separator style only, and a known brand: tracking numbers seldom look like that.
        if (" " in raw and "-" in raw) or digits[0] not in "23456":
            continue
        if luhn_valid(digits) and card_brand_prefix(digits) >= 1:
            yield "card", match.start(), match.end()


register_detector("card", _cards)

# --------------------------------------------------------------------------- IP addresses

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4_RE = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\d)")
_IPV6_RE = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def _ips(text: str) -> Iterator[Span]:
    for match in _IPV4_RE.finditer(text):
        if ip_is_personal(match[0]):
            yield "ip", match.start(), match.end()
    for match in _IPV6_RE.finditer(text):
        try:
            address = ipaddress.IPv6Address(match[0])
        except ValueError:
            continue
        if address.is_global:
            yield "ip", match.start(), match.end()


register_detector("ip", _ips)

# --------------------------------------------------------------------------- phone numbers

_PHONE_RE = re.compile(
    r"(?<![\w+/.=-])(?:"
    r"(?:\+|00)[1-9]\d{0,3}(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?){1,6}"
    r"|\(?0\d{1,4}\)?(?:[ .-]?\d{2,5}){1,4}"
    r"|\(\d{3}\)[ ]?\d{3}[ .-]?\d{4}"
    r"|\d{3}[.-]\d{3}[.-]\d{4}"
    r")(?![\w/-]|\.\d)"
)
_DATE_LIKE_RE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")


def _phones(text: str) -> Iterator[Span]:
    for match in _PHONE_RE.finditer(text):
        raw = match[0]
        digits = sum(c.isdigit() for c in raw)
        if raw.startswith(("+", "00")):
            ok = 8 <= digits - (2 if raw.startswith("00") else 0) <= 15
        elif raw.lstrip("(").startswith("0"):
            ok = 9 <= digits <= 12 and not raw.startswith("00")
        else:
            ok = digits == 10
        if ok and not _DATE_LIKE_RE.fullmatch(raw):
            yield "phone", match.start(), match.end()


register_detector("phone", _phones)


# --------------------------------------------------------------------------- scanning


def scan_text(text: str) -> list[Detection]:
    """Every pattern detection in ``text``, non-overlapping, in text order."""
    if len(text) < 6:
        return []
    taken: list[Detection] = []
    for detector in DETECTORS.values():
        for kind, start, end in detector(text):
            if all(end <= d.start or start >= d.end for d in taken):
                taken.append(Detection(kind, start, end))
    return sorted(taken, key=lambda d: d.start)


# --------------------------------------------------------------------------- fields by name

_PERSON_WORDS = _words(
    "customer user contact sender recipient author person client requester reporter assignee "
    "employee patient member owner holder cardholder accountholder beneficiary payer payee signer "
    "guest passenger tenant driver buyer seller from to cc bcc replyto applicant candidate student "
    "parent child spouse emergencycontact billing shipping"
)
_SECRET_FIELDS = _words(
    "authorization apikey xapikey accesstoken refreshtoken clientsecret password passwd secret token "
    "apitoken authtoken privatekey secretkey sessiontoken idtoken bearertoken xauthtoken cookie "
    "setcookie"
)
_EXACT: dict[str, tuple[str, ...]] = {}


def _names(kinds: tuple[str, ...], words: str) -> None:
    for word in words.split():
        _EXACT[word] = kinds


_names(("ip",), "ip ipaddress ipaddr clientip remoteip remoteaddr remoteaddress sourceip userip "
       "xforwardedfor xrealip lastloginip")  # fmt: skip
_names(("email", "name"), "from to cc bcc replyto sender recipient")
_names(("email",), "mail")
_names(("name", "email"), "author requester reporter assignee customer contact person signatory")
_names(("phone",), "phone telephone tel mobile cell cellphone fax msisdn whatsapp")
_names(("card",), "card cardnumber cardno cardnum ccnumber ccnum creditcard creditcardnumber pan")
_names(("dob",), "dob dateofbirth birthdate birthday bday geburtsdatum")
_names(("name",), "firstname givenname forename lastname surname familyname fullname middlename "
       "maidenname displayname nickname contactname customername")  # fmt: skip
_names(("username",), "username login handle screenname userlogin accountname")
_names(("address",), "address streetaddress street addressline addressline1 addressline2 addressline3 "
       "line1 line2 homeaddress billingaddress shippingaddress mailingaddress postaladdress")  # fmt: skip
_names(("postcode",), "postcode postalcode zip zipcode plz")
_names(("city",), "city town locality")
_names(("id_number",), "ssn socialsecuritynumber nationalid nationalidnumber nino taxid tin passport "
       "passportnumber driverslicense driverlicense licensenumber nhsnumber insurancenumber "
       "personalnumber personnummer bsn steuerid dni nie cpf")  # fmt: skip


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def field_kinds(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The kinds a field may hold, judged by its name (and its parent's), most likely first.

    ``("secret",)`` for credentials; ``()`` for fields that are not personal by name (their
    values still go through the pattern detectors).
    """
    names = [t for t in tokens if not t.isdigit()]  # /cc/0 is named by "cc"
    if not names:
        return ()
    name = _squash(names[-1])
    parent = _squash(names[-2]) if len(names) > 1 else ""
    if name in _SECRET_FIELDS:
        return ("secret",)
    if name in _EXACT:
        return _EXACT[name]
    if "email" in name:
        return ("email",)
    if "iban" in name:
        return ("iban",)
    if name.endswith(("phone", "phonenumber", "mobile", "mobilenumber", "faxnumber")):
        return ("phone",)
    if "birth" in name:
        return ("dob",)
    if name.endswith("cardnumber"):
        return ("card",)
    if name == "name" and (not parent or parent in _PERSON_WORDS or parent.removesuffix("s") in _PERSON_WORDS):
        return ("name",)
    if name.endswith("name") and name[:-4] in _PERSON_WORDS:
        return ("name",)
    if name.endswith("address") and not name.endswith(("macaddress", "webaddress")):
        return ("address",)
    if parent.endswith("address") and name in {"line", "street1", "street2"}:
        return ("address",)
    return ()


# --------------------------------------------------------------------------- pseudonym allowlist

ALLOWLIST_FILE = ".agentreal-pseudonyms.json"
"""Written by ``anonymise`` beside its output: fingerprints of the fake values it wrote, so that a
later scan (``agentreal lint``) does not report pseudonyms as personal data. Fake values only."""


def fingerprint(kind: str, norm: str) -> str:
    """A short unkeyed hash of one *pseudonym* (never use it on originals: it is not keyed)."""
    return hashlib.sha256(f"agentreal-pseudonym\x1f{kind}\x1f{norm}".encode()).hexdigest()[:20]


def fingerprints(kind: str, norms: Iterable[str]) -> list[str]:
    """:func:`fingerprint` of many pseudonyms of one kind (the common prefix hashed once)."""
    from .pseudonyms import sha256  # CPython's own where present: cheaper for short texts

    start = sha256(f"agentreal-pseudonym\x1f{kind}\x1f".encode()).copy
    out: list[str] = []
    append = out.append
    for norm in norms:
        digest = start()
        digest.update(norm.encode())
        append(digest.hexdigest()[:20])
    return out


def is_allowed(kind: str, text: str, allow: frozenset[str] | set[str] | None) -> bool:
    """Whether ``text`` (of ``kind``) is a pseudonym listed in ``allow``."""
    if not allow or kind not in KINDS:
        return False
    norm = KINDS[kind].normalise(text)
    return norm is not None and fingerprint(kind, norm) in allow


def load_allowlist(folder: str | Path) -> frozenset[str]:
    """The pseudonym fingerprints stored in ``folder`` (empty when there is no file)."""
    path = Path(folder) / ALLOWLIST_FILE
    if not path.is_file():
        return frozenset()
    data = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(str(f) for f in data.get("fingerprints", []))


# --------------------------------------------------------------------------- records

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _by_name(kinds: tuple[str, ...], text: str, allow: frozenset[str] | set[str] | None) -> str | None:
    """The kind a named field's value is, when it is personal and not a known pseudonym."""
    for kind in kinds:
        if kind == "secret":
            return kind if text.strip() and text.strip() != REDACTED else None
        spec = KINDS[kind]
        if kind == "name":
            words = [w for w in _WORD_RE.findall(text) if len(w) >= 2]
            if words and re.fullmatch(r"[^\W\d_]+(?:['’.\- ]+[^\W\d_]*){0,5}", text.strip()):
                return None if all(is_allowed("name", w, allow) for w in words) else kind
            continue
        norm = spec.normalise(text)
        if norm is not None:
            return None if spec.safe(norm) or fingerprint(kind, norm) in (allow or ()) else kind
    return None


def scan_record(
    record: Any, *, by_name: bool = True, allow: frozenset[str] | set[str] | None = None
) -> list[Detection]:
    """Detections in every string leaf of a JSON-like record, each with the leaf's JSON Pointer.

    ``by_name`` also reports fields whose *name* says they hold personal data (whole value,
    ``start=0``); ``allow`` holds fingerprints of pseudonyms that are not to be reported.
    """
    found: list[Detection] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, (*path, str(key)))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, (*path, str(index)))
        elif isinstance(node, (str, int)) and not isinstance(node, bool) and path:
            text = str(node)
            pointer = join(path)
            if by_name and (kinds := field_kinds(path)):
                kind = _by_name(kinds, text, allow)
                if kind is not None:
                    found.append(Detection(kind, 0, len(text), pointer))
                    return
            if isinstance(node, str):
                for hit in scan_text(text):
                    if not is_allowed(hit.kind, text[hit.start : hit.end], allow):
                        found.append(Detection(hit.kind, hit.start, hit.end, pointer))

    walk(record, ())
    return found
