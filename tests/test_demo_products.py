"""A small run of the demo's chains through real processes: every command's stderr is free of
Python warnings at default verbosity, and every BUNIT of every file parses with astropy.units and is
the right unit for its array (issue 19 items 4 and 8)."""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

astropy_units = pytest.importorskip("astropy.units")

# (name, command line) in order; {j} is the jwcal executable. Each one's stderr is kept.
STEPS = [
    ("simulate-ramp", "{j} simulate ramp -o raw --size 64 64 --ngroups 6 --nonlinear --dark-current 0.05 "
                      "--seed 1"),
    ("dq-init", "{j} dq-init --mask raw/mask.fits raw/jw01234001001_01101_00001_nrcb1_uncal.fits -o s1.fits"),
    ("saturation", "{j} saturation --saturation raw/saturation.fits s1.fits -o s2.fits"),
    ("superbias", "{j} superbias --superbias raw/superbias.fits s2.fits -o s3.fits"),
    ("refpix", "{j} refpix s3.fits -o s4.fits"),
    ("linearity", "{j} linearity --linearity raw/linearity.fits s4.fits -o s5.fits"),
    ("dark", "{j} dark --dark raw/dark.fits s5.fits -o s6.fits"),
    ("jump", "{j} jump --gain raw/gain.fits --readnoise raw/readnoise.fits s6.fits -o x_ramp.fits"),
    ("ramp-fit", "{j} ramp-fit --gain raw/gain.fits --readnoise raw/readnoise.fits x_ramp.fits "
                 "-o x_rate.fits --rateints x_rateints.fits"),
    ("clean-1f", "{j} clean-1f x_rate.fits -o x_clean.fits"),
    ("fix-targ-coords", "{j} fix-targ-coords x_rate.fits -o x_targ.fits"),
    ("fix-int-times", "{j} fix-int-times x_rateints.fits -o x_times.fits"),
    ("info", "{j} cat x_rate.fits x_rateints.fits | {j} info"),
    ("preview", "{j} preview x_rate.fits -o rate.png --dq"),
    ("simulate-images", "{j} simulate images -o cal --nexposures 3 --size 384 384 --nstars 120 "
                        "--ngalaxies 20 --seed 2"),
    ("tweakreg", "{j} tweakreg cal/jw01234-o001_image3_00001_asn.json --abs-refcat cal/refcat.ecsv "
                 "--minobj 5 --abs-minobj 5 -o aligned"),
    ("outlier", "{j} outlier aligned/*_tweakreg.fits -o crf"),
    ("resample", "{j} resample crf/*_crf.fits -o mosaic_i2d.fits"),
    ("preview-i2d", "{j} preview mosaic_i2d.fits -o mosaic.png"),
    ("cat", "{j} cat x_rate.fits mosaic_i2d.fits -o both.stream"),
    ("split", "{j} split both.stream -o split"),
]

WARNING = re.compile(r"\b\w*Warning\b|^WARNING: ", re.MULTILINE)  # Python's and astropy's logger's forms


@pytest.fixture(scope="module")
def run(tmp_path_factory, jwcal_exe_module):
    work = tmp_path_factory.mktemp("demo")
    outcome = {}
    for name, line in STEPS:
        command = "set -o pipefail; " + line.format(j=shlex.quote(jwcal_exe_module))
        done = subprocess.run(["bash", "-c", command], cwd=work, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        outcome[name] = done
        assert done.returncode == 0, f"{name}: {done.stderr}"
    return work, outcome


@pytest.fixture(scope="module")
def jwcal_exe_module():
    from tests.conftest import JWCAL

    if not Path(JWCAL).exists():
        pytest.skip("jwcal console script not installed in this environment")
    return JWCAL


@pytest.mark.parametrize("name", [name for name, _ in STEPS])
def test_no_library_warning_reaches_stderr(run, name):
    stderr = run[1][name].stderr
    assert not WARNING.search(stderr), stderr
    assert "Traceback" not in stderr


def _fits_files(work):
    return sorted(p for p in work.rglob("*.fits"))


def _units(path):
    from astropy.io import fits

    with fits.open(path) as hdul:
        return {hdu.name: hdu.header["BUNIT"] for hdu in hdul if "BUNIT" in hdu.header}, \
            {hdu.name for hdu in hdul}


def test_every_bunit_parses_and_is_right_for_its_array(run):
    u = astropy_units
    work = run[0]
    files = _fits_files(work)
    assert len(files) > 20
    checked = 0
    for path in files:
        units, _ = _units(path)
        for name, bunit in units.items():
            unit = u.Unit(bunit, parse_strict="raise")  # raises on '(MJy/sr)^2' and the like
            checked += 1
            data = units.get("SCI")
            if data is None:
                continue
            data = u.Unit(data, parse_strict="raise")
            if name == "ERR":
                assert unit == data, (path.name, name, bunit)
            elif name.startswith("VAR_"):
                assert unit == data**2, (path.name, name, bunit)
                assert bunit == unit.to_string(), (path.name, name, bunit)  # one spelling of "squared"
            elif name == "WHT":  # ivm weights (resample's default): inverse variance
                assert unit == data**-2, (path.name, name, bunit)
    assert checked > 40


def test_products_have_the_jwst_units(run):
    work = run[0]
    expected = {"x_rate.fits": {"SCI": "DN/s", "ERR": "DN/s", "VAR_POISSON": "DN2 / s2"},
                "x_rateints.fits": {"SCI": "DN/s", "VAR_RNOISE": "DN2 / s2"},
                "mosaic_i2d.fits": {"SCI": "MJy/sr", "ERR": "MJy/sr", "WHT": "sr2 / MJy2",
                                    "VAR_RNOISE": "MJy2 / sr2"}}
    for name, want in expected.items():
        units, _ = _units(work / name)
        assert {key: units.get(key) for key in want} == want, name
    crf = sorted((work / "crf").glob("*_crf.fits"))
    assert crf and _units(crf[0])[0]["VAR_FLAT"] == "MJy2 / sr2"
