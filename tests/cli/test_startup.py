"""Start-up shortcuts of the jwcal command: astropy.io.fits without astropy.units, the quick exit."""

import subprocess
import sys

import pytest


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_fits_loads_without_units_and_units_stay_real():
    result = _python(
        "import sys\n"
        "import jwcal.cli.main\n"
        "from astropy.io import fits\n"
        "assert 'astropy.units' not in sys.modules, 'astropy.units was imported'\n"
        "fits.Header.fromstring(fits.Header({'A': 1}).tostring())\n"
        "import astropy.units as u\n"
        "from astropy.utils import data\n"
        "assert u.Quantity.__module__.startswith('astropy.units')\n"
        "assert isinstance(3 * u.byte, data.Quantity) and not isinstance(3, data.Quantity)\n"
        "assert data.Quantity(3, u.byte) == 3 * u.byte\n"
        "data.check_free_space_in_dir('.', 1 * u.byte)\n"
        "data.check_free_space_in_dir('.', 1)\n"
        "print('ok')\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_units_imported_first_is_left_alone():
    result = _python("import astropy.units as u\nimport jwcal.cli.main\nfrom astropy.utils import data\n"
                     "assert data.Quantity is u.Quantity\n")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("args", "status"), [(["--version"], 0), (["info", "/nonexistent/x.fits"], 1),
                                              (["info", "--no-such-option"], 2)])
def test_main_keeps_the_exit_status(args, status):
    result = _python("from jwcal.cli.main import main\nmain()", *args)
    assert result.returncode == status, result.stderr
    if status == 0:
        assert "jwcal" in result.stdout  # flushed before the process ended


def test_main_ends_like_sys_exit_with_a_message():
    result = _python("import sys\nimport jwcal.cli.main as m\n"
                     "m.cli.main = lambda **k: sys.exit('bye')\nm.main()")
    assert result.returncode == 1
    assert result.stderr.strip() == "bye"


def test_main_waits_for_a_running_thread():
    result = _python("import threading, time\nimport jwcal.cli.main as m\n"
                     "def late():\n    time.sleep(0.3)\n    print('thread done', flush=True)\n"
                     "t = threading.Thread(target=late)\n"
                     "t.start()\nm.main()", "--version")
    assert result.returncode == 0
    assert "thread done" in result.stdout
