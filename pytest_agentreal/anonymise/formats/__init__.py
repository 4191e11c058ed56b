"""Kinds of personal data and how each is normalised, faked and written back in the original's layout.

A :class:`Kind` has three pure functions:

- ``normalise(text)``: the canonical form of a real value (``None`` when the text is not of this
  kind). Two spellings of one value (``+44 20 7946 0958`` / ``0044 20 7946 0958``) normalise alike,
  so they get one pseudonym.
- ``generate(digest, attempt, norm)``: a canonical pseudonym drawn from the value's keyed digest;
  ``attempt`` > 0 asks for another candidate after a collision. It only sees the digest and the
  *shape* of the original (country code, length, brand), never needs the key.
- ``render(original, canonical)``: the pseudonym written in the original's layout (separators,
  grouping, letter case).

Kinds live in a registry (:data:`KINDS`, :func:`register_kind`) so that new ones need no if-chain.
One module per family: :mod:`.names` (names, user names), :mod:`.contact` (e-mail, phone),
:mod:`.banking` (IBAN, card), :mod:`.dates` (birthdays), :mod:`.network` (IP), :mod:`.places`
(streets, postcodes, cities, id numbers); :mod:`.shapes` holds what they share.
"""

from __future__ import annotations

from . import places  # noqa: F401  (registers its kinds)
from .banking import IBAN_LENGTHS, card_brand_prefix, iban_remainder, iban_valid, luhn_check_digit, luhn_valid
from .contact import EMAIL_RE, EXAMPLE_DOMAINS, country_code_length, national_alias, reserved_domain
from .dates import MONTH_NAMES, parse_date
from .kinds import KINDS, REDACTED, Kind, register_kind
from .names import NAME_WIDEN_AT
from .network import ip_is_personal
from .shapes import casefold, mimic_case, stream, words

__all__ = [
    "EMAIL_RE",
    "EXAMPLE_DOMAINS",
    "IBAN_LENGTHS",
    "KINDS",
    "MONTH_NAMES",
    "NAME_WIDEN_AT",
    "REDACTED",
    "Kind",
    "card_brand_prefix",
    "casefold",
    "country_code_length",
    "iban_remainder",
    "iban_valid",
    "ip_is_personal",
    "luhn_check_digit",
    "luhn_valid",
    "mimic_case",
    "national_alias",
    "parse_date",
    "register_kind",
    "reserved_domain",
    "stream",
    "words",
]
