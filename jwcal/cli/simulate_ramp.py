"""``jwcal simulate ramp``: a raw NIRCam/MIRI ramp with reference files and truth."""

from __future__ import annotations

import click

from jwcal.cli import options

DETECTOR_NAMES = ("NRCA1", "NRCA2", "NRCA3", "NRCA4", "NRCB1", "NRCB2", "NRCB3", "NRCB4",
                  "NRCALONG", "NRCBLONG", "MIRIMAGE")


@click.command("ramp", short_help="Simulate a raw ramp (_uncal), its reference files and truth.")
@click.option("-o", "--output", required=True, metavar="DIR",
              type=click.Path(file_okay=False), help="Directory for the files (created if missing).")
@options.overwrite_opt
@click.option("--detector", default="NRCB1", show_default=True,
              type=click.Choice(DETECTOR_NAMES, case_sensitive=False), help="Detector to simulate.")
@click.option("--size", nargs=2, type=options.IntRange(1), default=None, metavar="NY NX",
              help="Subarray rows and columns at the detector corner [default: full frame].")
@click.option("--ngroups", default=10, show_default=True, type=options.IntRange(1),
              help="Groups per integration.")
@click.option("--nints", default=1, show_default=True, type=options.IntRange(1), help="Integrations.")
@click.option("--nframes", default=1, show_default=True, type=options.IntRange(1),
              help="Frames averaged per group.")
@click.option("--groupgap", default=0, show_default=True, type=options.IntRange(0),
              help="Frames dropped between groups.")
@click.option("--seed", default=0, show_default=True, type=options.IntRange(0),
              help="Random seed; same seed, same files.")
@click.option("--stars", default=None, type=options.IntRange(0),
              help="Number of stars [default: one per 10,000 pixels, at least 3].")
@click.option("--galaxies", default=None, type=options.IntRange(0),
              help="Number of galaxies [default: one per 20,000 pixels, at least 1].")
@click.option("--background", default=None, type=options.FloatRange(0),
              help="Sky in DN/s per pixel [default: 0.25 NIRCam SW, 0.9 LW, 15 MIRI].")
@click.option("--cr-rate", default=5.0, show_default=True, type=options.FloatRange(0),
              help="Cosmic rays per cm^2 per second.")
@click.option("--snowballs", default=None, type=options.IntRange(0),
              help="Snowballs per integration [default: 1 on NIR arrays of at least 256x256, else 0].")
@click.option("--showers", default=None, type=options.IntRange(0),
              help="Showers per integration [default: 1 on MIRI arrays of at least 256x256, else 0].")
@click.option("--one-over-f", default=None, type=options.FloatRange(0),
              help="rms of the 1/f row offsets of one frame, DN [default: 2 NIR, 0 MIRI].")
@click.option("--hot-fraction", default=2e-4, show_default=True, type=options.FloatRange(0, 1),
              help="Fraction of hot pixels.")
@click.option("--dead-fraction", default=1e-4, show_default=True, type=options.FloatRange(0, 1),
              help="Fraction of dead pixels.")
@click.option("--nonlinear", is_flag=True,
              help="Make the detector non-linear (about 8 % at saturation) and write linearity.fits.")
@click.option("--dark-current", default=None, type=options.FloatRange(0), metavar="DN/S",
              help="Mean dark current in DN/s; also writes dark.fits (noise-free dark ramp, science "
              "read pattern) [default: none, only hot pixels].")
@click.option("--ref-subarray", is_flag=True,
              help="Cut the reference files to the subarray instead of writing them full frame.")
def command(output, overwrite, **params):
    """Simulate one raw JWST exposure with known truth, in the STScI file layouts.

    Writes into DIR: the level-1b ramp jw01234001001_01101_00001_<det>_uncal.fits (SCI uint16
    (nints, ngroups, ny, nx), INT_TIMES, full primary header with target coordinates and proper
    motion), the reference files gain.fits, readnoise.fits (CDS read noise), mask.fits
    (DQ + DQ_DEF), superbias.fits and saturation.fits (SAT_LEVEL - 200 DN), with --nonlinear
    linearity.fits (COEFFS) and with --dark-current dark.fits, all in CRDS layouts and exact for
    the simulation (superbias, linearity, dark and a slope fit recover TRUE_RATE), and
    <root>_truth.fits: TRUE_RATE (DN/s), DARK_RATE, BIAS,
    SAT_LEVEL, BADPIX, SATGROUP, CR_GROUP and CR_DN images, a CRS table with every cosmic ray,
    snowball and shower (integration, first affected group, frame, y, x, amplitude in DN, kind)
    and a SOURCES table.

    The sky (stars with Moffat profiles, exponential-disc galaxies, a flat background) gives
    Poisson charge accumulated frame by frame; frames carry a per-amplifier bias with a pixel
    pattern, white read noise, 1/f row noise shared by the amplifiers (also in the reference
    pixels, which see no light), cosmic rays at the given rate with a log-normal energy spectrum
    and small multi-pixel footprints, saturating snowballs (NIR) and faint extended showers (MIRI),
    hot and dead pixels, and saturation of bright sources. Groups average NFRAMES frames;
    (NFRAMES, GROUPGAP) must be a real readout pattern (NIRCam RAPID, BRIGHT1, ..., DEEP8; MIRI
    FASTR1). All files appear together or not at all.

    \b
    Examples:
      jwcal simulate ramp -o sim --ngroups 10
      jwcal simulate ramp -o sim --detector MIRIMAGE --size 256 256 --nints 2 --seed 3
      jwcal simulate ramp -o sim --size 512 512 --nonlinear --dark-current 0.5
    """
    import os

    from jwcal.io import FileBatch
    from jwcal.steps import simulate_ramp as step

    if params["size"] is not None:
        params["size"] = tuple(params["size"])
    products = step.run(**params)
    os.makedirs(output, exist_ok=True)
    names = step.filenames(products)
    with FileBatch(overwrite=overwrite) as batch:
        for key, exposure in products.items():
            sink = batch.open(os.path.join(output, names[key]))
            sink.write(exposure)
            sink.close()
