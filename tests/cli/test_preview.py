import struct
import zlib

from jwcal.cli.main import cli


def _size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    nx, ny, _, colour = struct.unpack(">IIBB", data[16:26])
    return nx, ny, colour


def test_preview_rate_and_ramp(runner, rate_file, uncal_file, tmp_path):
    out = tmp_path / "rate.png"
    result = runner.invoke(cli, ["preview", rate_file, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _size(out.read_bytes()) == (9, 8, 0)
    out = tmp_path / "ramp.png"
    args = ["--group", "1", "--integration", "1", "--stretch", "log"]
    result = runner.invoke(cli, ["preview", uncal_file, *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    idat = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[idat - 4:idat])
    assert len(zlib.decompress(data[idat + 4:idat + 4 + length])) == 8 * (9 + 1)


def test_preview_dq_is_rgb(runner, rate_file, tmp_path):
    out = tmp_path / "dq.png"
    assert runner.invoke(cli, ["preview", rate_file, "--dq", "-o", str(out)]).exit_code == 0
    assert _size(out.read_bytes())[2] == 2


def test_preview_errors(runner, rate_file, tmp_path):
    out = tmp_path / "x.png"
    result = runner.invoke(cli, ["preview", rate_file, "--extension", "NOPE", "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()
    result = runner.invoke(cli, ["preview", rate_file, "--stretch", "sqrt", "-o", str(out)])
    assert result.exit_code == 2
    assert runner.invoke(cli, ["preview", rate_file]).exit_code == 2  # -o is required
