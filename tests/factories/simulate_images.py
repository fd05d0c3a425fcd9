"""Small dithered ``_cal`` sets from ``jwcal simulate images`` for stage-3 tests (tweakreg, outlier).

``dithered_set(directory)`` writes the same files as the command (cal files, image3 association,
refcat.ecsv, truth.ecsv, ``<root>_truth_wcs.fits``) and returns their paths plus the in-memory truth,
so a test can compare a corrected WCS with ``truth["wcs"][k]`` or flagged pixels with
``truth["cr_labels"][k] > 0``.
"""

from __future__ import annotations

from pathlib import Path

SMALL = {"nexposures": 3, "size": (128, 128), "nstars": 80, "ngalaxies": 8}


def dithered_set(directory, **params) -> dict:
    """Simulate and write a small set; ``params`` override :data:`SMALL` (any step parameter).

    Returns
    -------
    dict
        ``cal`` (list of Path), ``asn`` (Path), ``refcat`` (Path), ``truth_table`` (Path),
        ``truth_wcs`` (list of Path), and the step result under ``result``.
    """
    from click.testing import CliRunner

    from jwcal.cli.simulate_images import command
    from jwcal.steps.simulate_images import run

    directory = Path(directory)
    options = {**SMALL, **params}
    args = ["-o", str(directory), "--overwrite"]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        args += [flag, *map(str, value)] if isinstance(value, tuple | list) else [flag, str(value)]
    outcome = CliRunner().invoke(command, args, catch_exceptions=False)
    if outcome.exit_code != 0:
        raise RuntimeError(outcome.output)
    result = run(**options)  # same seed: the same data, kept in memory for the truth
    names = [e.source for e in result["exposures"]]
    return {
        "cal": [directory / n for n in names],
        "asn": directory / result["association_name"],
        "refcat": directory / "refcat.ecsv",
        "truth_table": directory / "truth.ecsv",
        "truth_wcs": [directory / e.source for e in result["truth_exposures"]],
        "result": result,
    }
