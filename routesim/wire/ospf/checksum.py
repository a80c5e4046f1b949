"""Checksums of OSPFv2.

* The packet checksum (RFC 2328 §A.3.1) is the standard IP one's-complement checksum (RFC 1071) of the
  whole packet, header included, *excluding the 64-bit authentication field*, computed with the
  checksum field set to zero. With cryptographic authentication it is not computed and stays 0
  (§D.4.3).
* The LSA checksum (§12.1.7) is the Fletcher checksum of ISO 8473 / RFC 905 Annex B over the whole
  LSA except the LS age field (the first two bytes); the checksum field sits at offset 16 of the LSA
  (offset 14 of the checksummed bytes). It is computed so that both Fletcher sums of the checksummed
  bytes are 0 mod 255; it is never 0x0000, so a zero field means "not computed" and fails the check.
"""

from __future__ import annotations

from itertools import accumulate

#: Offset of the LS checksum field inside an LSA (RFC 2328 §A.4.1).
LSA_CHECKSUM_OFFSET = 16
#: Offset of the 8-byte authentication field inside the OSPF packet header (§A.3.1).
AUTH_FIELD_OFFSET = 16
_AGE_LEN = 2


def ip_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum of 16-bit words (odd length padded with a zero byte).

    Computed on the whole buffer as one integer: 2**16 = 1 (mod 0xFFFF), so the end-around-carry
    sum of the words is that integer mod 0xFFFF, taken in 1..0xFFFF when any bit is set (RFC 1071
    §2 (B), "deferred carries" carried to the limit).
    """
    if len(data) % 2:
        data = bytes(data) + b"\x00"
    value = int.from_bytes(data, "big")
    if not value:
        return 0xFFFF
    total = value % 0xFFFF or 0xFFFF
    return ~total & 0xFFFF


def ospf_packet_checksum(packet: bytes) -> int:
    """Checksum of an OSPF packet (header + body, ``packet length`` bytes) per RFC 2328 §A.3.1.

    The checksum field (offset 12) and the authentication field (offsets 16..23) are excluded, so
    ``packet`` may carry any values there.
    """
    return ip_checksum(packet[:12] + b"\x00\x00" + packet[14:AUTH_FIELD_OFFSET] + packet[24:])


def _fletcher_sums(data: bytes) -> tuple[int, int]:
    """Both Fletcher sums mod 255: C0 = sum of the bytes, C1 = sum of the running C0 values
    (reducing mod 255 at the end gives the same values as at every step, RFC 905 B.2)."""
    return sum(data) % 255, sum(accumulate(data)) % 255


def fletcher_checksum(lsa: bytes) -> int:
    """The LS checksum that ``lsa`` (a whole LSA, header first) must carry (RFC 905 Annex B.2).

    The current content of the checksum field and of LS age is ignored.
    """
    if len(lsa) < LSA_CHECKSUM_OFFSET + 2:
        raise ValueError(f"an LSA is at least 20 bytes, got {len(lsa)}")
    data = lsa[_AGE_LEN:LSA_CHECKSUM_OFFSET] + b"\x00\x00" + lsa[LSA_CHECKSUM_OFFSET + 2 :]
    c0, c1 = _fletcher_sums(data)
    pos = LSA_CHECKSUM_OFFSET - _AGE_LEN  # octet position of the first checksum byte, from 0
    x = ((len(data) - pos - 1) * c0 - c1) % 255
    if x == 0:
        x = 255
    y = 510 - c0 - x
    if y > 255:
        y -= 255
    return (x << 8) | y


def fletcher_verify(lsa: bytes) -> bool:
    """True when ``lsa`` carries a valid LS checksum (RFC 905 B.4: both sums are 0 mod 255)."""
    if len(lsa) < LSA_CHECKSUM_OFFSET + 2:
        return False
    if lsa[LSA_CHECKSUM_OFFSET : LSA_CHECKSUM_OFFSET + 2] == b"\x00\x00":
        return False
    return _fletcher_sums(lsa[_AGE_LEN:]) == (0, 0)


def set_lsa_checksum(lsa: bytes | bytearray) -> bytes:
    """Return ``lsa`` with its checksum field (offset 16) set to :func:`fletcher_checksum`."""
    value = fletcher_checksum(bytes(lsa))
    return bytes(lsa[:LSA_CHECKSUM_OFFSET]) + value.to_bytes(2, "big") + bytes(lsa[LSA_CHECKSUM_OFFSET + 2 :])


def fill_lsa_checksum(buf: bytearray) -> int:
    """Compute the LS checksum of the LSA in ``buf`` and write it in place at offset 16; return it."""
    value = fletcher_checksum(bytes(buf))
    buf[LSA_CHECKSUM_OFFSET : LSA_CHECKSUM_OFFSET + 2] = value.to_bytes(2, "big")
    return value
