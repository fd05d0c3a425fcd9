"""A directory of CRDS-named reference files for two detectors and several USEAFTER dates."""

from __future__ import annotations

from pathlib import Path

from jwcal.io import open_output
from jwcal.steps import simulate_ramp

DETECTORS = ("NRCB1", "NRCB2")
#: (USEAFTER, factor applied to the GAIN/READNOISE values, serial). The exposures start on
#: 2024-03-31: the 2022 files are the valid newest ones, 2015 is older, 2099 is not valid yet.
DATES = (("2015-01-01T00:00:00", 2.0, 1), ("2022-01-01T00:00:00", 1.0, 2), ("2099-01-01T00:00:00", 3.0, 3))
TYPES = ("gain", "readnoise", "mask")


def _write(exposure, path: Path) -> str:
    with open_output(str(path), overwrite=True) as sink:
        sink.write(exposure)
    return str(path)


def simulated(directory: Path, *, size=(32, 32), ngroups=5) -> dict:
    """Simulate one exposure per detector and its references; write the exposures and a refs dir.

    Returns
    -------
    dict
        ``uncal``: {detector: path}; ``refs``: the directory; ``valid``: {(detector, type): path of
        the file that must be chosen}; ``products``: {detector: the simulated products}.
    """
    refs = directory / "refs" / "references" / "jwst" / "nircam"  # a CRDS cache's layout
    refs.mkdir(parents=True)
    uncal, valid, products = {}, {}, {}
    for serial_base, detector in enumerate(DETECTORS):
        made = simulate_ramp.run(detector=detector, size=size, ngroups=ngroups, seed=3 + serial_base)
        products[detector] = made
        uncal[detector] = _write(made["uncal"], directory / f"{detector.lower()}_uncal.fits")
        for reftype in TYPES:
            for useafter, factor, serial in DATES:
                reference = made[reftype]
                primary = reference.primary
                primary["USEAFTER"] = useafter
                primary["PEDIGREE"] = f"INFLIGHT {useafter[:10]} {useafter[:10]}"
                if reftype != "mask" and factor != 1.0:
                    scaled = reference["SCI"]
                    scaled.data = scaled.data * factor
                name = f"jwst_nircam_{reftype}_{10 * serial_base + serial:04d}.fits"
                path = _write(reference, refs / name)
                if factor == 1.0:
                    valid[(detector, reftype.upper())] = path
                if reftype != "mask" and factor != 1.0:
                    scaled.data = scaled.data / factor
    return {"uncal": uncal, "refs": str(directory / "refs"), "valid": valid, "products": products}
