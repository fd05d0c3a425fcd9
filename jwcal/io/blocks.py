"""FITS block structure: header blocks, data sizes, and the card parsing needed to walk a stream.

Only the structural keywords are parsed here (no astropy), so walking a stream costs almost nothing
beyond moving its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from jwcal.errors import DataError

BLOCK = 2880
CARD = 80


@dataclass(frozen=True)
class Layout:
    """Structure of one HDU read from its header cards."""

    kind: str  # "image" or "table"
    is_primary: bool
    bitpix: int
    shape: tuple[int, ...]  # numpy order
    pcount: int
    gcount: int
    bzero: float
    bscale: float

    @property
    def data_size(self) -> int:
        """Bytes of the data section, before padding."""
        if not self.shape:
            return 0
        count = 1
        for n in self.shape:
            count *= n
        return abs(self.bitpix) // 8 * self.gcount * (self.pcount + count)

    @property
    def padded_size(self) -> int:
        """Bytes of the data section including padding to whole blocks."""
        return padded(self.data_size)


def padded(size: int) -> int:
    """Round ``size`` up to a whole number of FITS blocks."""
    return -(-size // BLOCK) * BLOCK


def _card_value(card: bytes) -> str:
    text = card[10:].decode("ascii", "replace")
    if text.lstrip().startswith("'"):
        body = text.lstrip()[1:]
        return body.split("'", 1)[0].strip()
    return text.split("/", 1)[0].strip()


def parse_layout(header: bytes, where: str) -> Layout:
    """Read the structural keywords of a raw header.

    Parameters
    ----------
    header : bytes
        Whole header blocks, ending with the END card.
    where : str
        Position in the stream, for error messages.

    Returns
    -------
    Layout
    """
    cards: dict[str, str] = {}
    for start in range(0, len(header), CARD):
        card = header[start : start + CARD]
        key = card[:8].decode("ascii", "replace").strip()
        if key == "END":
            break
        if card[8:10] == b"= " and key not in cards:
            cards[key] = _card_value(card)
    is_primary = "SIMPLE" in cards
    try:
        bitpix = int(cards["BITPIX"])
        naxis = int(cards["NAXIS"])
        axes = [int(cards[f"NAXIS{k}"]) for k in range(1, naxis + 1)]
        pcount = int(cards.get("PCOUNT", 0))
        gcount = int(cards.get("GCOUNT", 1))
        bzero = float(cards.get("BZERO", 0))
        bscale = float(cards.get("BSCALE", 1))
    except (KeyError, ValueError) as exc:
        raise DataError(f"{where}: malformed FITS header ({exc} missing or invalid)") from None
    if bitpix not in (8, 16, 32, 64, -32, -64) or naxis < 0 or any(n < 0 for n in axes):
        raise DataError(f"{where}: malformed FITS header (BITPIX={bitpix}, NAXIS={naxis})")
    xtension = cards.get("XTENSION", "").upper()
    kind = "table" if xtension in ("BINTABLE", "TABLE") else "image"
    return Layout(kind, is_primary, bitpix, tuple(reversed(axes)), pcount, gcount, bzero, bscale)


def starts_hdu(block: bytes) -> str | None:
    """Return ``"primary"``, ``"extension"`` or None for the first card of ``block``."""
    if block.startswith(b"SIMPLE  ="):
        return "primary"
    if block.startswith(b"XTENSION="):
        return "extension"
    return None
