"""IP addresses: public ones replaced by documentation and reserved addresses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from socket import inet_ntoa

from .kinds import Kind, register_kind
from .shapes import as_int, stream, words

_TEST_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")


def _normalise_ip(text: str) -> str | None:
    text = text.strip()
    if _IPV4_RE.fullmatch(text) is not None or (not text.isascii() and _ipv4_int(text) is not None):
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RE = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
"""Dotted IPv4 in its one canonical spelling (ASCII digits, no leading zeros)."""
_NOT_GLOBAL_V4 = tuple(
    (int(ipaddress.IPv4Network(n).network_address), int(ipaddress.IPv4Network(n).netmask))
    for n in words(
        "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 "
        "192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 "
        "224.0.0.0/4 240.0.0.0/4"
    )
)


def _normalise_ips(texts: Sequence[str]) -> list[str | None]:
    """:func:`_normalise_ip` of many texts (a dotted IPv4 address is its own norm)."""
    match = _IPV4_RE.fullmatch
    return [t if match(t) is not None else _normalise_ip(t) for t in texts]


def _may_be_public_only(norms: Sequence[str]) -> bool:
    """``False`` when every norm is a dotted IPv4 address whose first octet starts no reserved
    range (so each is public: not safe); a look at their first octets only."""
    if ":" in "".join(norms):
        return True
    octets = {norm.partition(".")[0] for norm in norms}
    return not all(octet.isdecimal() and not _NOT_GLOBAL_BY_OCTET.get(int(octet), True) for octet in octets)


def _ipv4_int(text: str) -> int | None:
    if _IPV4_RE.fullmatch(text) is not None:  # the common case, by one regex
        a, b, c, d = text.split(".")
        return int(a) << 24 | int(b) << 16 | int(c) << 8 | int(d)
    if text.isascii():
        return None
    # Other digits (١, １) are digits too: an address written with them is still one.
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part.isdigit() or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
            return None
        try:
            octet = int(part)
        except ValueError:  # superscripts are isdigit() but not int()
            return None
        if octet > 255:
            return None
        value = value << 8 | octet
    return value


_NOT_GLOBAL_BY_OCTET: dict[int, tuple[tuple[int, int], ...]] = {
    octet: tuple((n, m) for n, m in _NOT_GLOBAL_V4 if (octet << 24) & m == n & m & 0xFF000000) for octet in range(256)
}


def ip_is_personal(norm: str) -> bool:
    """Public addresses can locate a person; private, loopback and reserved ones cannot."""
    if _IPV4_RE.fullmatch(norm) is not None:  # the common case, without ipaddress's slower parsing
        ranges = _NOT_GLOBAL_BY_OCTET[int(norm[: norm.index(".")])]
        if not ranges:  # most first octets have no reserved range at all
            return True
    value = _ipv4_int(norm)
    if value is not None:
        return not any(value & mask == network for network, mask in _NOT_GLOBAL_BY_OCTET[value >> 24])
    try:
        return ipaddress.ip_address(norm).is_global
    except ValueError:
        return False


def _generate_ip(digest: bytes, attempt: int, norm: str) -> str:
    # The first wider candidate reads bytes of the digest that the documentation draw did not.
    data = digest if attempt == 0 else digest[8:] if attempt == _WIDEN_AT else stream(digest, attempt)
    number = int.from_bytes(data[:8], "big")
    if ":" in norm:
        return str(ipaddress.IPv6Address((0x20010DB8 << 96) | (as_int(data[8:20]))))
    # Documentation ranges first (what readers expect), then the reserved 240.0.0.0/4: large
    # enough for any corpus, and neither routes to anyone.
    if attempt < _WIDEN_AT:
        return f"{_TEST_NETS[number % 3]}{1 + (number // 3) % 254}"
    value = (240 << 24) + 1 + number % ((1 << 28) - 2)
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


_WIDEN_AT = 4


def _generate_ips(digests: Sequence[bytes], starts: Sequence[int] | None, norms: Sequence[str]) -> list[str]:
    """:func:`_generate_ip` of many values (IPv4 at their first or first wider draw inlined)."""
    out: list[str] = []
    append = out.append
    as_number = int.from_bytes
    nets = _TEST_NETS
    wide = (1 << 28) - 2
    for digest, start, norm in zip(digests, starts if starts is not None else [0] * len(norms), norms, strict=True):
        if ":" in norm:
            append(_generate_ip(digest, start, norm))
        elif start == 0:
            number = as_number(digest[:8], "big")
            append(f"{nets[number % 3]}{1 + (number // 3) % 254}")
        elif start == _WIDEN_AT:
            append(inet_ntoa(((240 << 24) + 1 + as_number(digest[8:16], "big") % wide).to_bytes(4, "big")))
        else:
            append(_generate_ip(digest, start, norm))
    return out


def _ip_pools(norms: Sequence[str]) -> list[tuple[str, int]]:
    v6, v4 = ("v6", 1 << 96), ("v4", 3 * 254)
    if ":" not in "".join(norms):  # IPv4 only (most often): one look at all of them
        return [v4] * len(norms)
    return [v6 if ":" in n else v4 for n in norms]


IP = register_kind(
    Kind(
        "ip",
        _normalise_ip,
        _generate_ip,
        lambda o, c: c,
        safe=lambda n: not ip_is_personal(n),
        may_be_safe=_may_be_public_only,
        pool=lambda norm: ("v6", 1 << 96) if ":" in norm else ("v4", 3 * 254),
        widen_at=_WIDEN_AT,
        cost=0.9,
        generate_many=_generate_ips,
        pool_many=_ip_pools,
        normalise_many=_normalise_ips,
        render_many=lambda originals, canonicals: list(canonicals),
    )
)
