"""Building binary-table HDUs for exposures (INT_TIMES, DQ_DEF, catalogs)."""

from __future__ import annotations

from jwcal.exposure import HDU


def table_hdu(name: str, table, header=None) -> HDU:
    """Return a table HDU named ``name`` from an astropy Table or a numpy structured array."""
    from astropy.io import fits

    hdu = fits.BinTableHDU(data=table if not hasattr(table, "as_array") else table.as_array(), name=name)
    if header is not None:
        for card in header.cards:
            if card.keyword not in hdu.header:
                hdu.header.append(card)
    return HDU(header=hdu.header, data=hdu.data, kind="table")
