"""Primary headers with target coordinates and proper motion, for the header-fix commands."""

from __future__ import annotations

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





# A NIRCam-like aperture (values of NRCA1_FULL order of magnitude) for fix-parallel-wcs.
APERTURE = {"V2_REF": 120.6714, "V3_REF": -527.3877, "V3I_YANG": -0.5843, "VPARITY": -1,
            "CRPIX1": 1024.5, "CRPIX2": 1024.5, "CDELT1": 8.6e-6, "CDELT2": 8.7e-6}
TRUE_ATTITUDE = (150.1163, 2.2005, 290.3)


def pointing_keywords(attitude, aperture=APERTURE):
    """SCI keywords of a linear-WCS (rate) header pointed with ``attitude`` (RA_V1, DEC_V1, PA_V3)."""
    from jwcal.algorithms import fix_parallel_wcs as alg

    m = alg.attitude_matrix(*attitude)
    ra, dec = alg.telescope_to_sky(m, aperture["V2_REF"], aperture["V3_REF"])
    roll = alg.position_angle(m, aperture["V2_REF"], aperture["V3_REF"])
    pc = alg.pc_matrix(roll, aperture["V3I_YANG"], aperture["VPARITY"])
    keys = dict(aperture, RA_V1=attitude[0], DEC_V1=attitude[1], PA_V3=attitude[2], RA_REF=ra,
                DEC_REF=dec, ROLL_REF=roll, PA_APER=roll + aperture["V3I_YANG"], CRVAL1=ra, CRVAL2=dec,
                CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CUNIT1="deg", CUNIT2="deg",
                S_REGION=f"POLYGON ICRS  {ra - 0.01} {dec - 0.01} {ra + 0.01} {dec - 0.01} "
                         f"{ra + 0.01} {dec + 0.01} {ra - 0.01} {dec + 0.01}")
    keys.update({f"PC{i}_{j}": pc[i - 1, j - 1] for i in (1, 2) for j in (1, 2)})
    return keys


def pointed_hdulist(attitude, *, visitype="PARALLEL_PURE", start=60300.10, end=60300.11,
                    filename="jw01234001001_02101_00001_nrca1_rate.fits"):
    """A rate-like file whose SCI header is pointed with ``attitude``."""
    hdulist = factories.rate_hdulist(filename=filename)
    hdulist[0].header["VISITYPE"] = visitype
    hdulist[0].header["EXPSTART"], hdulist[0].header["EXPEND"] = start, end
    for key, value in pointing_keywords(attitude).items():
        hdulist["SCI"].header[key] = value
    return hdulist


def coarse_attitude(offset_arcsec=0.12, roll_arcsec=3.0):
    """The true attitude perturbed like a coarse pure-parallel pointing."""
    ra, dec, pa = TRUE_ATTITUDE
    return (ra + offset_arcsec / 3600.0, dec - offset_arcsec / 3600.0, pa + roll_arcsec / 3600.0)


def int_times_hdulist(nints=4, first=1, total=None, t0=60310.25, tint=30.0, light_s=251.5,
                      header_offset_s=1.7):
    """A rateints-like file with an INT_TIMES table of ``nints`` rows starting at integration ``first``.

    The table holds exact times; the header's are off by ``header_offset_s`` seconds (BARTDELT by
    that much too). ``total`` is NINTS of the whole exposure (default: the rows given).
    """
    import numpy as np
    from astropy.io import fits
    from astropy.time import Time

    total = total or nints
    numbers = np.arange(first, first + nints)
    start = t0 + (numbers - 1) * tint / 86400.0
    end = start + (tint - 0.5) / 86400.0
    mid = 0.5 * (start + end)
    drift = 1e-3 * (numbers - 1)  # the light time changes slowly

    def bjd(utc):
        return Time(utc, format="mjd", scale="utc").tdb.mjd + (light_s + drift) / 86400.0

    columns = [fits.Column(name="integration_number", format="J", array=numbers)]
    for name, values in (("start", start), ("mid", mid), ("end", end)):
        columns.append(fits.Column(name=f"int_{name}_MJD_UTC", format="D", array=values))
    for name, values in (("start", start), ("mid", mid), ("end", end)):
        columns.append(fits.Column(name=f"int_{name}_BJD_TDB", format="D", array=bjd(values)))
    table = fits.BinTableHDU.from_columns(columns, name="INT_TIMES")
    hdulist = factories.rate_hdulist(filename="jw01366001001_04101_00001-seg001_nis_rateints.fits")
    header = hdulist[0].header
    header["NINTS"] = total
    off = header_offset_s / 86400.0
    full_start = t0
    full_end = t0 + ((total - 1) * tint + tint - 0.5) / 86400.0
    header["EXPSTART"], header["EXPEND"] = full_start + off, full_end + off
    header["EXPMID"] = 0.5 * (full_start + full_end) + off
    b_start = float(bjd(np.array([full_start]))[0]) if first == 1 else 0.0
    header["BSTRTIME"] = b_start + off
    end_light = (light_s + 1e-3 * (total - 1)) / 86400
    header["BENDTIME"] = float(Time(full_end, format="mjd").tdb.mjd) + end_light + off
    header["BMIDTIME"] = 0.5 * (header["BSTRTIME"] + header["BENDTIME"])
    header["BARTDELT"] = light_s + header_offset_s
    hdulist.append(table)
    return hdulist
