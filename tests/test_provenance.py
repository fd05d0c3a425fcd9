"""Provenance (issue 19 item 9): R_* reference keywords, CAL_VER and DATE on every product.

Also the per-exposure choice from reference directories (issue 17) through the commands and a
real shell pipe.
"""

import datetime
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from jwcal.products import software_version
from jwcal.steps import simulate_ramp
from tests.factories.refdir import simulated
from tests.factories.resample import make_cal_set, write_set

NOW_TOLERANCE = datetime.timedelta(minutes=10)


def _run(runner, *args, **kwargs):
    result = runner.invoke(cli, [str(a) for a in args], **kwargs)
    assert result.exit_code == 0, result.output
    return result


def _assert_fresh(header):
    assert header["CAL_VER"] == software_version()
    written = datetime.datetime.fromisoformat(header["DATE"])
    assert abs(written - datetime.datetime.now(datetime.UTC).replace(tzinfo=None)) < NOW_TOLERANCE
    assert "CAL_VCS" not in header


def _history(header):
    return " ".join(str(v) for v in header["HISTORY"])


@pytest.fixture(scope="module")
def detector1(tmp_path_factory):
    """A simulated exposure with every detector-1 reference file (linearity and dark included)."""
    directory = tmp_path_factory.mktemp("det1")
    products = simulate_ramp.run(size=(32, 32), ngroups=6, seed=5, nonlinear=True, dark_current=0.5)
    paths = {}
    from jwcal.io import open_output

    for key, exposure in products.items():
        paths[key] = str(directory / f"{key}.fits")
        with open_output(paths[key]) as sink:
            sink.write(exposure)
    return paths


CHAIN = (("dq-init", {"mask": "MASK"}), ("saturation", {"saturation": "SATURATION"}),
         ("superbias", {"superbias": "SUPERBIAS"}), ("refpix", {}),
         ("linearity", {"linearity": "LINEARITY"}), ("dark", {"dark": "DARK"}),
         ("jump", {"gain": "GAIN", "readnoise": "READNOISE"}),
         ("ramp-fit", {"gain": "GAIN", "readnoise": "READNOISE"}))
KEYWORD = {"MASK": "R_MASK", "SATURATION": "R_SATURA", "SUPERBIAS": "R_SUPERB", "LINEARITY": "R_LINEAR",
           "DARK": "R_DARK", "GAIN": "R_GAIN", "READNOISE": "R_READNO"}


def test_every_stage1_product_records_its_references_cal_ver_and_date(runner, detector1, tmp_path):
    source, expected = detector1["uncal"], {}
    for step, options in CHAIN:
        out = tmp_path / f"{step}.fits"
        args = [step, source, "-o", out]
        for option, reftype in options.items():
            args += [f"--{option}", detector1[option]]
            expected[KEYWORD[reftype]] = f"{option}.fits"  # a file given by path: its name, as jwst
        if step == "ramp-fit":
            args += ["--rateints", tmp_path / "rateints.fits"]
        _run(runner, *args)
        products = [out] + ([tmp_path / "rateints.fits"] if step == "ramp-fit" else [])
        for product in products:
            header = fits.getheader(product)
            assert {k: header[k] for k in header if k.startswith("R_")} == expected, (step, product)
            _assert_fresh(header)
        source = str(out)
    history = _history(fits.getheader(source))
    for reftype in KEYWORD:  # each reference's PEDIGREE and USEAFTER (simulate writes DUMMY 2022-01-01)
        assert f"jwcal reference {reftype}: " in history
    assert "PEDIGREE=DUMMY USEAFTER=2022-01-01T00:00:00" in history


def test_r_keywords_are_jwst_names(tmp_path):
    schema = pytest.importorskip("stdatamodels").__file__
    text = (Path(schema).parent / "jwst" / "datamodels" / "schemas" / "core.schema.yaml").read_text()
    from jwcal.steps.references import KEYWORDS

    for keyword in KEYWORDS.values():
        assert f"fits_keyword: {keyword}\n" in text, keyword


def test_jwst_reads_the_references_from_a_rate(runner, detector1, tmp_path):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    ramp, rate = tmp_path / "ramp.fits", tmp_path / "rate.fits"
    _run(runner, "dq-init", detector1["uncal"], "--mask", detector1["mask"], "-o", ramp)
    _run(runner, "ramp-fit", ramp, "--gain", detector1["gain"], "--readnoise", detector1["readnoise"],
         "-o", rate)
    with datamodels.open(str(rate)) as model:
        assert model.meta.ref_file.gain.name == "gain.fits"
        assert model.meta.ref_file.readnoise.name == "readnoise.fits"
        assert model.meta.ref_file.mask.name == "mask.fits"
        assert model.meta.calibration_software_version == software_version()


def test_info_json_shows_the_provenance(runner, detector1, tmp_path):
    ramp = tmp_path / "ramp.fits"
    _run(runner, "dq-init", detector1["uncal"], "--mask", detector1["mask"], "-o", ramp)
    record = json.loads(_run(runner, "info", "--json", ramp).stdout)
    assert record["steps"] == {"dq_init": "COMPLETE"}
    assert record["references"] == {"R_MASK": "mask.fits"}
    assert record["cal_ver"] == software_version()
    assert record["date"] == fits.getheader(ramp)["DATE"]


@pytest.fixture(scope="module")
def two_detectors(tmp_path_factory):
    return simulated(tmp_path_factory.mktemp("refdir"))


def _stage1(runner, source, out, mask, gain, readnoise, tmp_path):
    ramp, jumped = tmp_path / f"{out.stem}_ramp.fits", tmp_path / f"{out.stem}_jump.fits"
    _run(runner, "dq-init", source, "--mask", mask, "-o", ramp)
    _run(runner, "jump", ramp, "--gain", gain, "--readnoise", readnoise, "-o", jumped)
    _run(runner, "ramp-fit", jumped, "--gain", gain, "--readnoise", readnoise, "-o", out)
    return ramp, jumped, out


def test_directories_give_each_detector_its_newest_valid_file(runner, two_detectors, tmp_path):
    refs, valid = two_detectors["refs"], two_detectors["valid"]
    for detector, source in two_detectors["uncal"].items():
        ramp, jumped, rate = _stage1(runner, source, tmp_path / f"{detector}_dir.fits", refs, refs, refs,
                                     tmp_path)
        names = {key: "crds://" + os.path.basename(valid[(detector, key)])
                 for key in ("MASK", "GAIN", "READNOISE")}
        assert fits.getheader(ramp)["R_MASK"] == names["MASK"]
        for product in (jumped, rate):
            header = fits.getheader(product)
            assert (header["R_MASK"], header["R_GAIN"], header["R_READNO"]) == \
                (names["MASK"], names["GAIN"], names["READNOISE"])
        assert "USEAFTER=2022-01-01T00:00:00" in _history(fits.getheader(rate))
        assert f"(chosen from {refs})" in _history(fits.getheader(rate))
        # the same arrays as with the right files given explicitly (the others scale GAIN/READNOISE)
        explicit = _stage1(runner, source, tmp_path / f"{detector}_files.fits", valid[(detector, "MASK")],
                           valid[(detector, "GAIN")], valid[(detector, "READNOISE")], tmp_path)[2]
        with fits.open(rate) as got, fits.open(explicit) as want:
            for name in ("SCI", "ERR", "DQ", "VAR_RNOISE"):
                np.testing.assert_array_equal(got[name].data, want[name].data)
            assert want[0].header["R_GAIN"] == os.path.basename(valid[(detector, "GAIN")])


def test_shell_pipe_with_a_mask_directory_over_two_detectors(jwcal_exe, two_detectors, tmp_path):
    refs, valid = two_detectors["refs"], two_detectors["valid"]
    uncal = two_detectors["uncal"]
    gain, readnoise = valid[("NRCB1", "GAIN")], valid[("NRCB1", "READNOISE")]
    out = tmp_path / "split"
    command = (f"set -o pipefail; {jwcal_exe} cat {uncal['NRCB1']} {uncal['NRCB2']} "
               f"| {jwcal_exe} dq-init --mask {refs}/ | {jwcal_exe} split -o {out}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for detector in ("NRCB1", "NRCB2"):
        (path,) = out.glob(f"*_{detector.lower()}_ramp.fits")
        assert fits.getheader(path)["R_MASK"] == "crds://" + os.path.basename(valid[(detector, "MASK")])
    # a GAIN file for the wrong detector in a pipe: exit 1, one line
    command = (f"set -o pipefail; {jwcal_exe} dq-init --mask {refs} < {uncal['NRCB2']} "
               f"| {jwcal_exe} jump --gain {gain} --readnoise {readnoise} > {tmp_path / 'x.fits'}")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr


def test_a_directory_without_a_match_is_a_one_line_data_error(runner, two_detectors, tmp_path):
    only_b1 = tmp_path / "only_b1"
    only_b1.mkdir()
    for (detector, reftype), path in two_detectors["valid"].items():
        if detector == "NRCB1" and reftype == "MASK":
            (only_b1 / os.path.basename(path)).write_bytes(Path(path).read_bytes())
    out = tmp_path / "ramp.fits"
    b2 = two_detectors["uncal"]["NRCB2"]
    result = runner.invoke(cli, ["dq-init", b2, "--mask", str(only_b1), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    for part in ("MASK", "jw01234001001_01101_00001_nrcb2_uncal.fits", "DETECTOR=NRCB2",
                 "USEAFTER <= 2024-03-31", "NRCB1"):
        assert part in result.stderr, result.stderr
    assert not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["dq-init", b2, "--mask", str(empty), "-o", str(out)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert f"MASK reference directory {empty}: no MASK file in it" in result.stderr


def test_i2d_has_its_own_provenance_and_the_association_product_name(runner, tmp_path):
    paths = write_set(make_cal_set(2, shape=(40, 40), nstars=5, ncr=0, dither=3.0), tmp_path / "in")
    for path in paths:  # inputs as jwst writes them: older DATE, jwst CAL_VER, references
        with fits.open(path, mode="update") as hdul:
            hdul[0].header.update(DATE="2023-01-01T00:00:00.000", CAL_VER="1.14.0", CAL_VCS="RELEASE",
                                  CRDS_CTX="jwst_1200.pmap", R_FLAT="crds://jwst_nircam_flat_0001.fits",
                                  R_GAIN="crds://jwst_nircam_gain_0001.fits")
    out = tmp_path / "mosaic.fits"
    _run(runner, "resample", tmp_path / "in" / "asn.json", "-o", out)
    header = fits.getheader(out)
    assert header["FILENAME"] == "jw01234-o001_t001_nircam_clear-f200w_i2d.fits"
    _assert_fresh(header)
    assert not [k for k in header if k.startswith("R_") or k.startswith("CRDS_")]
    stream = b"".join(Path(p).read_bytes() for p in paths)
    plain = tmp_path / "plain.fits"
    _run(runner, "resample", "-o", plain, input=stream)
    assert fits.getheader(plain)["FILENAME"].endswith("_i2d.fits")  # no association: the first input's root
