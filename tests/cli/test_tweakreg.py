"""``jwcal tweakreg``: -o DIR with _tweakreg names, stdout stream, association, exit codes."""

import json

import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories.tweakreg import make_tweak_set


@pytest.fixture(scope="module")
def tset(tmp_path_factory):
    return make_tweak_set(tmp_path_factory.mktemp("in"), n=3, seed=11)


def run(runner, *args, **kwargs):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


def test_writes_tweakreg_files_into_a_directory(runner, tset, tmp_path):
    out = tmp_path / "aligned"
    result = run(runner, "tweakreg", *tset.paths, "--kernel-fwhm", "2.2", "--abs-refcat", tset.refcat,
                 "-o", out)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"jw01234001001_01101_0000{i}_nrcblong_tweakreg.fits" for i in (1, 2, 3)]
    with fits.open(out / names[0]) as hdul:
        assert hdul[0].header["S_TWKREG"] == "COMPLETE"
        assert "ASDF" not in [h.name for h in hdul]
        assert hdul["SCI"].header["TWKANMAT"] >= 15
    result = run(runner, "tweakreg", *tset.paths, "--abs-refcat", tset.refcat, "-o", out)
    assert result.exit_code == 1 and "exists" in result.output


def test_association_in_stream_out(runner, tset, tmp_path):
    asn = tmp_path / "asn.json"
    members = [{"expname": p, "exptype": "science"} for p in tset.paths]
    asn.write_text(json.dumps({"asn_type": "image3", "products": [{"name": "p", "members": members}]}))
    result = run(runner, "tweakreg", asn, "--kernel-fwhm", "2.2")
    assert result.exit_code == 0
    out = tmp_path / "stream.fits"
    out.write_bytes(result.stdout_bytes)
    with fits.open(out) as hdul:
        assert hdul[0].header["S_TWKREG"] == "COMPLETE"


def test_failed_fit_exits_1_and_skip_unsupported_passes(runner, tset, tmp_path):
    result = run(runner, "tweakreg", *tset.paths, "--minobj", "400", "-o", tmp_path / "a")
    assert result.exit_code == 1
    assert "not enough matches" in result.output
    assert not (tmp_path / "a").exists()  # issue 19: no empty -o directory left behind
    result = run(runner, "tweakreg", *tset.paths, "--minobj", "400", "--skip-unsupported",
                 "-o", tmp_path / "b")
    assert result.exit_code == 0
    status = [fits.getheader(p)["S_TWKREG"] for p in sorted((tmp_path / "b").iterdir())]
    assert sorted(status) == ["COMPLETE", "SKIPPED", "SKIPPED"]


def test_usage_errors_exit_2(runner, tset, tmp_path):
    assert run(runner, "tweakreg", *tset.paths, "--fitgeometry", "affine", "-o", tmp_path).exit_code == 2
    result = run(runner, "tweakreg", *tset.paths, "--separation", "0.5", "-o", tmp_path / "c")
    assert result.exit_code == 2 and "sqrt(2)" in result.output


def test_not_enough_matches_names_the_counts_and_what_to_try(runner, tset, tmp_path):
    # issue 19: "not enough matches 13 < 15" gave no hint
    result = run(runner, "tweakreg", *tset.paths, "--minobj", "400", "-o", tmp_path / "a")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    message = result.stderr
    for part in ("sources and", "reference sources", "kept after --separation 1\"",
                 "matched within --tolerance", "400 needed (--minobj)", "smaller --separation",
                 "larger --tolerance", "lower --minobj"):
        assert part in message, message
    result = run(runner, "tweakreg", *tset.paths, "--abs-refcat", tset.refcat, "--abs-minobj", "400",
                 "-o", tmp_path / "b")
    assert result.exit_code == 1 and "--abs-minobj" in result.stderr and "minobj=" not in result.stderr
