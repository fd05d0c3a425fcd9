import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import factories

JWCAL = str(Path(sys.executable).parent / "jwcal")


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def uncal_file(tmp_path):
    return factories.write(factories.uncal_hdulist(), tmp_path / "a_uncal.fits")


@pytest.fixture
def rate_file(tmp_path):
    return factories.write(factories.rate_hdulist(), tmp_path / "b_rate.fits")


@pytest.fixture
def jwcal_exe():
    """Path of the installed console script, for tests through real processes and pipes."""
    if not os.path.exists(JWCAL):
        pytest.skip("jwcal console script not installed in this environment")
    return JWCAL
