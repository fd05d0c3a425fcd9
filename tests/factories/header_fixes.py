"""Primary headers with target coordinates and proper motion, for the header-fix commands."""

from __future__ import annotations

from astropy.io import fits

from tests import factories

# Barnard's star, Gaia DR3-like values at J2000 (arcsec/yr, mu_alpha* includes cos dec).
BARNARD = {"PROP_RA": 269.4520769, "PROP_DEC": 4.6933649, "MU_RA": -0.80148, "MU_DEC": 10.36235,
           "MU_EPOCH": "2000-01-01 12:00:00", "EXPMID": 60200.5}


def targ_hdulist(targ=None, **keywords):
    """A rate-like file whose primary header carries ``keywords`` (default Barnard's star).

    ``targ`` (RA, Dec) sets TARG_RA/TARG_DEC; by default they equal PROP_RA/PROP_DEC (uncorrected).
    A keyword given as None is removed.
    """
    hdulist = factories.rate_hdulist()
    header = hdulist[0].header
    values = dict(BARNARD, **keywords)
    for key, value in values.items():
        if value is not None:
            header[key] = value
    header["EXPSTART"] = values.get("EXPMID") or 60200.49
    header["EXPEND"] = (values.get("EXPMID") or 60200.51) + 0.001
    if targ is None and values.get("PROP_RA") is not None:
        targ = (values["PROP_RA"], values["PROP_DEC"])
    if targ is not None:
        header["TARG_RA"], header["TARG_DEC"] = targ
    return hdulist


def write_targ(path, targ=None, **keywords):
    """Write :func:`targ_hdulist` to ``path``; return the path as a string."""
    return factories.write(targ_hdulist(targ, **keywords), path)


__all__ = ["BARNARD", "fits", "targ_hdulist", "write_targ"]
