"""``jwcal simulate images``: dithered ``_cal`` images, image3 association, reference catalog, truth."""

from __future__ import annotations

import click

from jwcal.cli import options


@click.command("images", short_help="Dithered _cal images, image3 association, reference catalog, truth.")
@click.option("-o", "--output", required=True, metavar="DIR", type=click.Path(file_okay=False),
              help="Directory for the products (created if missing).")
@click.option("--overwrite", is_flag=True, help="Replace existing files in DIR.")
@click.option("--nexposures", default=4, show_default=True, type=options.IntRange(min=1),
              help="Number of dithered exposures.")
@click.option("--size", nargs=2, type=options.IntRange(1), default=None, metavar="NY NX",
              help="Image shape  [default: 2048 2048, NIRCam full frame]")
@click.option("--seed", default=0, show_default=True, type=options.IntRange(0),
              help="Random seed; same seed, same files.")
@click.option("--ra", default=53.16, show_default=True, type=options.FloatRange(0, 360),
              help="Field centre RA, degrees.")
@click.option("--dec", default=-27.78, show_default=True, type=options.FloatRange(-90, 90),
              help="Field centre Dec, degrees.")
@click.option("--pa-aper", default=60.0, show_default=True, type=options.FINITE,
              help="Position angle of the detector +y axis, degrees East of North.")
@click.option("--pixel-scale", default=0.031, show_default=True, type=options.FloatRange(0, min_open=True),
              help="Arcsec per pixel.")
@click.option("--nstars", default=None, type=options.IntRange(min=0),
              help="Stars over the dithered footprint (AB 18-26.5)  [default: 325 per arcmin², 400 on a "
              "full frame]")
@click.option("--ngalaxies", default=None, type=options.IntRange(min=0),
              help="Exponential-disk galaxies over the footprint (AB 20-26)  [default: 81 per arcmin², 100 "
              "on a full frame]")
@click.option("--psf", default="moffat", show_default=True, type=click.Choice(["moffat", "gaussian"]),
              help="Stellar profile (Moffat beta=2.5).")
@click.option("--fwhm", default=2.1, show_default=True, type=options.FloatRange(0, min_open=True),
              help="PSF FWHM, pixels.")
@click.option("--exptime", default=1000.0, show_default=True, type=options.FloatRange(0, min_open=True),
              help="EFFEXPTM, seconds.")
@click.option("--background", default=0.2, show_default=True, type=options.FloatRange(0),
              help="Sky background, MJy/sr.")
@click.option("--read-noise", default=15.0, show_default=True, type=options.FloatRange(0),
              help="Effective read noise of the ramp fit, electrons.")
@click.option("--photmjsr", default=0.22, show_default=True, type=options.FloatRange(0, min_open=True),
              help="MJy/sr per DN/s.")
@click.option("--flat-error", default=0.002, show_default=True, type=options.FloatRange(0),
              help="Relative residual flat-field error per pixel (fixed pattern, VAR_FLAT).")
@click.option("--cr-density", default=100.0, show_default=True, type=options.FloatRange(0),
              help="Residual cosmic rays per million pixels per exposure (left in, not flagged).")
@click.option("--bad-pixel-fraction", default=1e-4, show_default=True, type=options.FloatRange(0, 1),
              help="Fraction of hot/dead pixels (DO_NOT_USE, NaN).")
@click.option("--full-well", default=80000.0, show_default=True, type=options.FloatRange(0),
              help="Electrons at saturation; pixels full within the first group are SATURATED, NaN (0: off).")
@click.option("--distortion", default=2.0, show_default=True, type=options.FloatRange(0),
              help="Largest SIP distortion over the image, pixels.")
@click.option("--dither-size", default=None, type=options.FloatRange(0), metavar="PIX",
              help="Dither pattern size, pixels  [default: 4% of the image side]")
@click.option("--wcs-error-min", default=0.1, show_default=True, type=options.FloatRange(0),
              help="Smallest header-WCS pointing error, arcsec.")
@click.option("--wcs-error-max", default=1.0, show_default=True, type=options.FloatRange(0),
              help="Largest header-WCS pointing error, arcsec.")
@click.option("--roll-error-max", default=0.02, show_default=True, type=options.FloatRange(0),
              help="Largest header-WCS roll error, degrees.")
@click.option("--refcat-maglim", default=24.0, show_default=True, type=options.FINITE,
              help="Stars brighter than this (AB) go into refcat.ecsv.")
@click.option("--filter", "filter", default="F200W", show_default=True, help="FILTER keyword.")
@click.option("--detector", default="NRCB1", show_default=True, help="DETECTOR keyword.")
def command(output, overwrite, **params):
    """Simulate N dithered calibrated NIRCam-like images of one sky field, with truth.

    Each exposure is rendered through its TRUE TAN-SIP WCS (one detector distortion), but the
    SCI header carries a WCS off by a random --wcs-error-min..--wcs-error-max arcsec and up to
    --roll-error-max degrees of roll (caveat GI02), for tweakreg to fix. Poisson + read noise,
    a fixed residual flat error, residual cosmic rays (for outlier detection) and a few hot/dead
    pixels; ERR and VAR_* are consistent with the noise. Stage-2 layout: PRIMARY, SCI (MJy/sr),
    ERR, DQ, VAR_POISSON, VAR_RNOISE, VAR_FLAT; S_* through image2 COMPLETE. No ASDF/gwcs
    extension: the FITS TAN-SIP header is the WCS.

    Stars and galaxies scale with the area of the dithered footprint (400 and 100 on a full
    frame), so a 512x512 set has about 25 stars and a 256x256 one about 7: align those with a lower
    tweakreg --minobj and --abs-minobj (and --abs-separation for the merged exposures).

    \b
    Files written in DIR:
      jw01234001001_01101_0000K_nrcb1_cal.fits   the exposures (K = 1..N)
      jw01234-o001_image3_00001_asn.json         image3 association of them
      refcat.ecsv                                Gaia-like absolute catalog (RA, DEC, errors in mas)
      truth.ecsv                                 every source: RA, DEC, mag, flux, x_K/y_K true pixels
      <root>_truth_wcs.fits                      per exposure: injected WCS error (PRIMARY WCSD*),
                                                 CRMASK (cosmic-ray ids), MODEL (noiseless SCI),
                                                 both with the TRUE WCS in their headers

    \b
    Examples:
      jwcal simulate images -o sim --nexposures 4
      jwcal simulate images -o small --size 256 256 --seed 3
    """
    import io
    import json
    import os

    from jwcal.errors import UsageError
    from jwcal.io import FileBatch
    from jwcal.steps.simulate_images import run

    result = run(**params)
    if os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"{output}: exists and is not a directory")
    os.makedirs(output, exist_ok=True)

    def table_bytes(table) -> bytes:
        text = io.StringIO()
        table.write(text, format="ascii.ecsv")
        return text.getvalue().encode()

    with FileBatch(overwrite=overwrite) as batch:
        for exposure in result["exposures"] + result["truth_exposures"]:
            sink = batch.open(os.path.join(output, exposure.source))
            sink.write(exposure)
            sink.close()
        blobs = {
            result["association_name"]: (json.dumps(result["association"], indent=4) + "\n").encode(),
            "refcat.ecsv": table_bytes(result["refcat"]),
            "truth.ecsv": table_bytes(result["truth"]["sources"]),
        }
        for name, data in blobs.items():
            sink = batch.open(os.path.join(output, name))
            sink.write_bytes(data)
            sink.close()
