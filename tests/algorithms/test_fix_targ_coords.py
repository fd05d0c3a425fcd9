import math

import numpy as np
import pytest

from jwcal.algorithms import fix_targ_coords as alg


def _astropy(ra, dec, mu_ra, mu_dec, dt_years):
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    start = Time(2000.0, format="jyear", scale="tdb")
    coord = SkyCoord(ra * u.deg, dec * u.deg, distance=10 * u.pc, pm_ra_cosdec=mu_ra * u.arcsec / u.yr,
                     pm_dec=mu_dec * u.arcsec / u.yr, radial_velocity=0 * u.km / u.s, obstime=start,
                     frame="icrs")
    moved = coord.apply_space_motion(new_obstime=start + dt_years * 365.25 * u.day)
    return moved.ra.deg, moved.dec.deg


@pytest.mark.parametrize(("ra", "dec", "mu_ra", "mu_dec", "dt"), [
    (269.4520769, 4.6933649, -0.80148, 10.36235, 23.7),   # Barnard's star
    (10.0, 89.9, 5.0, -3.0, 25.0),                        # near the pole
    (359.9999, -30.0, 2.0, 0.5, -10.0),                   # wraps RA, backwards in time
    (96.191172, -45.363249, 0.01, 0.02, 20.0),
])
def test_agrees_with_astropy_apply_space_motion(ra, dec, mu_ra, mu_dec, dt):
    ours = alg.apply_proper_motion(ra, dec, mu_ra, mu_dec, dt)
    theirs = _astropy(ra, dec, mu_ra, mu_dec, dt)
    assert alg.separation_mas(*ours, *theirs) < 0.1


def test_zero_motion_or_time_is_identity_and_reversible():
    assert alg.apply_proper_motion(12.5, -7.25, 0.0, 0.0, 30.0) == pytest.approx((12.5, -7.25), abs=1e-12)
    assert alg.apply_proper_motion(12.5, -7.25, 1.0, 2.0, 0.0) == pytest.approx((12.5, -7.25), abs=1e-12)


def test_small_motion_matches_linear_formula():
    ra, dec, mu_ra, mu_dec, dt = 150.0, 40.0, 0.2, -0.1, 10.0
    new = alg.apply_proper_motion(ra, dec, mu_ra, mu_dec, dt)
    linear = (ra + dt * mu_ra / 3600 / math.cos(math.radians(dec)), dec + dt * mu_dec / 3600)
    assert alg.separation_mas(*new, *linear) < 0.05
    # The displacement equals |mu| dt to first order.
    assert alg.separation_mas(ra, dec, *new) == pytest.approx(np.hypot(mu_ra, mu_dec) * dt * 1e3, rel=1e-6)


def test_implied_factor_recovers_known_fractions():
    prop = (269.4520769, 4.6933649)
    correct = alg.apply_proper_motion(*prop, -0.80148, 10.36235, 23.0)
    for k in (0.0, alg.BUG_FACTOR, 1.0):
        targ = alg.apply_proper_motion(*prop, -0.80148 * k, 10.36235 * k, 23.0)
        assert alg.implied_factor(prop, targ, correct) == pytest.approx(k, abs=1e-6)
    assert math.isnan(alg.implied_factor(prop, prop, prop))


def test_separation_of_tiny_and_large_angles():
    assert alg.separation_mas(0.0, 0.0, 0.0, 1e-9) == pytest.approx(3.6e-3, rel=1e-6)
    assert alg.separation_mas(0.0, 0.0, 180.0, 0.0) == pytest.approx(180 * 3600e3)
