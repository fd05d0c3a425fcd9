"""``jwcal outlier``: injected cosmic rays flagged, star cores kept, outputs, bad input."""

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories.resample import make_cal_set, write_set


@pytest.fixture(scope="module")
def calset():
    return make_cal_set(4, shape=(64, 64), nstars=10, ncr=10, seed=5)


@pytest.fixture
def cal_paths(calset, tmp_path):
    return write_set(calset, tmp_path / "in")


def test_cosmic_rays_are_flagged_and_star_cores_are_not(runner, calset, cal_paths, tmp_path):
    out = tmp_path / "crf"
    result = runner.invoke(cli, ["outlier", *cal_paths, "-o", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [Path(p).name.replace("_cal", "_crf") for p in sorted(cal_paths)]
    found = total = core_flags = cores = 0
    for k, name in enumerate(names):
        with fits.open(out / name) as hdul:
            assert hdul[0].header["S_OUTLIR"] == "COMPLETE"
            dqarr, sci = hdul["DQ"].data, hdul["SCI"].data
            flagged = (dqarr & 16) > 0
            assert ((dqarr[flagged] & 17) == 17).all()
            assert np.isnan(sci[flagged]).all()
            assert np.isnan(hdul["VAR_RNOISE"].data[flagged]).all()
        crs = calset.crs[k]
        hit = np.zeros_like(flagged)
        hit[crs[:, 0], crs[:, 1]] = True
        near = np.zeros_like(hit)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                near |= np.roll(np.roll(hit, dy, 0), dx, 1)
        found += (flagged & hit).sum()
        total += hit.sum()
        core = calset.star_pixels[k] & ~near
        core_flags += (flagged & core).sum()
        cores += core.sum()
    assert found >= 0.85 * total  # misses: CRs on the edges that only this exposure covers
    assert core_flags <= 0.002 * cores


def test_stream_output_and_inputs_untouched(runner, cal_paths, tmp_path):
    before = [Path(p).read_bytes() for p in cal_paths]
    result = runner.invoke(cli, ["outlier", *cal_paths])
    assert result.exit_code == 0
    assert result.stdout_bytes.count(b"SIMPLE  =") == len(cal_paths)
    assert [Path(p).read_bytes() for p in cal_paths] == before


def test_no_resample_data_flags_against_the_median_of_aligned_inputs(runner, tmp_path):
    rng = np.random.default_rng(0)
    calset = make_cal_set(3, shape=(32, 32), nstars=0, ncr=0, dither=0.0, rot_deg=0.0, seed=1)
    for hdul in calset.images:
        hdul["SCI"].data = (0.2 + rng.normal(0, 0.01, (32, 32))).astype(np.float32)
    calset.images[1]["SCI"].data[7, 9] += 3.0
    paths = write_set(calset, tmp_path / "in", asn=False)
    out = tmp_path / "crf"
    result = runner.invoke(cli, ["outlier", *paths, "-o", str(out), "--no-resample-data"])
    assert result.exit_code == 0, result.output
    flags = [(fits.getdata(out / Path(p).name.replace("_cal", "_crf"), "DQ") & 16) > 0 for p in paths]
    assert flags[1][7, 9]
    assert sum(int(f.sum()) for f in flags) <= 2


def test_one_input_is_unsupported_unless_skipped(runner, cal_paths, tmp_path):
    result = runner.invoke(cli, ["outlier", cal_paths[0], "-o", str(tmp_path / "crf")])
    assert result.exit_code == 1
    assert "at least two" in result.output
    result = runner.invoke(cli, ["outlier", cal_paths[0], "-o", str(tmp_path / "crf"), "--skip-unsupported"])
    assert result.exit_code == 0
    assert fits.getheader(tmp_path / "crf" / Path(cal_paths[0]).name.replace("_cal", "_crf"))["S_OUTLIR"] == \
        "SKIPPED"


def test_bad_parameters_exit_2(runner, cal_paths, tmp_path):
    out = str(tmp_path / "crf")
    assert runner.invoke(cli, ["outlier", *cal_paths, "-o", out, "--snr", "5"]).exit_code == 2
    assert runner.invoke(cli, ["outlier", *cal_paths, "-o", out, "--kernel", "gaussian"]).exit_code == 2


def test_directory_output_is_streamed_into_a_pipe_only(jwcal_exe, cal_paths, tmp_path):
    # issue 19: `outlier -o crf/ > log 2>&1` must not write the whole stream into the log
    import shlex
    import subprocess

    args = " ".join(shlex.quote(p) for p in cal_paths)
    chain = f"set -o pipefail; {jwcal_exe} outlier {args} -o {tmp_path}/a | cat"
    piped = subprocess.run(["bash", "-c", chain], capture_output=True, check=True)
    files = b"".join(path.read_bytes() for path in sorted((tmp_path / "a").iterdir()))
    # the files, teed (byte for byte but for DATE, stamped at each write)
    assert len(piped.stdout) == len(files) > 0 and piped.stdout.count(b"SIMPLE  =") == len(cal_paths)
    log = tmp_path / "log"
    subprocess.run(["bash", "-c", f"{jwcal_exe} outlier {args} -o {tmp_path}/b > {log} 2>&1"], check=True)
    assert log.read_bytes() == b"" and len(list((tmp_path / "b").iterdir())) == len(cal_paths)
    subprocess.run(["bash", "-c", f"{jwcal_exe} outlier {args} -o - > {tmp_path}/stream"], check=True)
    stream = (tmp_path / "stream").read_bytes()  # asked for: written (DATE differs, the layout not)
    assert len(stream) == len(files) and stream.count(b"SIMPLE  =") == len(cal_paths)


def test_a_failed_run_leaves_no_output_directory(runner, cal_paths, tmp_path):
    out = tmp_path / "new" / "crf"
    result = runner.invoke(cli, ["outlier", cal_paths[0], cal_paths[0], str(tmp_path / "missing.fits"),
                                 "-o", str(out)])
    assert result.exit_code == 1
    assert not (tmp_path / "new").exists()
