"""Tweakreg: align the FITS (TAN or TAN-SIP) WCS of exposures to each other and to a reference catalog.

Two passes over the inputs, so memory holds one image plus the source catalogs whatever the
number of exposures:

1. each exposure's SCI is searched for stars (DQ-aware, background subtracted) and their sky
   positions computed from its current WCS; exposures sharing a group id (all detectors of one
   exposure) form one group, fitted as one;
2. relative alignment: the group with the most sources is the reference; then, repeatedly, the
   unaligned group closest on the sky to the aligned ones is matched (2-D histogram of offsets,
   then tolerance matching) against the reference sources of the aligned groups that overlap it
   (a local subset, so the cost grows linearly with the number of groups), fitted in the tangent
   plane about its first exposure's CRVAL (arcsec), and its unmatched sources are added to the
   reference;
3. absolute alignment (optional): the merged catalog is matched and fitted, as one group, to a
   reference catalog file (RA/DEC columns), one linear transform for every exposure;
4. the second pass writes the correction into each SCI header: new CRVAL and CD, SIP unchanged
   (it acts in pixel space), provenance keywords and HISTORY; the ASDF extension, whose gwcs would
   now contradict the header, is removed (see docs/decisions.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jwcal import dq, products
from jwcal.algorithms import tweakreg as alg
from jwcal.errors import DataError, UnsupportedError, UsageError
from jwcal.exposure import Exposure
from jwcal.products import root_from_header
from jwcal.specs.tweakreg import SPEC
from jwcal.steps import stage3_inputs as stage3
from jwcal.steps.product_level import IMAGE, require

log = logging.getLogger("jwcal")

_CELESTIAL = ("RA---TAN", "RA---TAN-SIP")


@dataclass
class _Image:
    """What pass 1 keeps of one exposure."""

    label: str
    root: str | None
    group: str
    header: object            # SCI header copy (WCS)
    ra: np.ndarray
    dec: np.ndarray
    center: tuple[float, float]
    radius: float             # degrees, half diagonal
    pscale: float             # arcsec per pixel
    corrections: list = field(default_factory=list)  # (ra0, dec0, F, s) applied in order
    status: str = "COMPLETE"
    notes: list = field(default_factory=list)
    keywords: dict = field(default_factory=dict)


@dataclass
class _Group:
    name: str
    members: list
    ra: np.ndarray = None
    dec: np.ndarray = None
    center: tuple[float, float] = (0.0, 0.0)
    radius: float = 0.0


def _celestial_wcs(exposure: Exposure):
    from astropy.wcs import WCS

    header = exposure["SCI"].peek_header()
    if str(header.get("CTYPE1", "")).strip() not in _CELESTIAL:
        raise UnsupportedError(f"{exposure.label}: SCI header has no TAN/TAN-SIP celestial WCS")
    return header.copy(), WCS(header)


def _read_refcat(path) -> tuple[np.ndarray, np.ndarray]:
    """RA, Dec (degrees) of a reference catalog file: ECSV/FITS table with RA/DEC or sky_centroid."""
    from astropy.table import Table

    try:
        table = Table.read(str(path)) if not hasattr(path, "colnames") else path
    except Exception as exc:  # astropy raises many kinds for unreadable tables
        raise DataError(f"{path}: cannot read the reference catalog ({exc})") from None
    names = {name.lower(): name for name in table.colnames}
    if "ra" in names and "dec" in names:
        ra = np.asarray(table[names["ra"]], dtype=np.float64)
        dec = np.asarray(table[names["dec"]], dtype=np.float64)
    elif "sky_centroid" in names:
        sky = table[names["sky_centroid"]]
        ra, dec = np.asarray(sky.ra.deg, dtype=np.float64), np.asarray(sky.dec.deg, dtype=np.float64)
    else:
        raise DataError(f"{path}: reference catalog has no RA/DEC or sky_centroid columns")
    good = np.isfinite(ra) & np.isfinite(dec)
    return ra[good], dec[good]


def _catalog(exposure, wcs, *, custom, params) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions of the sources of one exposure (detected, or read from a custom catalog)."""
    if custom is not None:
        from astropy.table import Table

        root = root_from_header(exposure.peek_primary())
        path = Path(custom) / f"{root}_cat.ecsv"
        if not path.exists():
            raise DataError(f"{exposure.label}: custom catalog {path} not found")
        table = Table.read(str(path), format="ascii.ecsv")
        names = {name.lower(): name for name in table.colnames}
        xk = names.get("x", names.get("xcentroid"))
        yk = names.get("y", names.get("ycentroid"))
        if xk is None or yk is None:
            raise DataError(f"{path}: custom catalog has no x/y columns")
        return np.asarray(table[xk], dtype=np.float64), np.asarray(table[yk], dtype=np.float64)
    sci = np.asarray(exposure["SCI"].data, dtype=np.float64)
    if sci.ndim != 2:
        raise UnsupportedError(f"{exposure.label}: SCI is {sci.ndim}-D; tweakreg needs 2-D images")
    dqhdu = exposure.get("DQ")
    if dqhdu is not None:
        bad = dq.PIXEL["DO_NOT_USE"] | dq.PIXEL["NON_SCIENCE"]
        mask = (np.asarray(dqhdu.data).astype(np.uint32) & bad) != 0
    else:
        mask = np.zeros(sci.shape, dtype=bool)
    x, y, flux, peak = alg.detect_sources(
        sci, mask, snr_threshold=params["snr_threshold"], kernel_fwhm=params["kernel_fwhm"],
        brightest=params["brightest"], peakmax=params["peakmax"], bkg_boxsize=params["bkg_boxsize"])
    if params["save_catalogs"]:
        from astropy.table import Table

        root = root_from_header(exposure.peek_primary()) or exposure.label.rsplit(".", 1)[0]
        table = Table({"id": np.arange(1, x.size + 1), "x": x, "y": y, "flux": flux, "peak": peak})
        table.meta["comments"] = [f"jwcal tweakreg sources of {exposure.label}; x, y 0-based pixels"]
        Path(params["save_catalogs"]).mkdir(parents=True, exist_ok=True)
        table.write(str(Path(params["save_catalogs"]) / f"{root}_cat.ecsv"), format="ascii.ecsv",
                    overwrite=True)
    return x, y


def _footprint(wcs, shape) -> tuple[tuple[float, float], float]:
    ny, nx = shape
    corners = np.array([[0, 0], [nx - 1, 0], [0, ny - 1], [nx - 1, ny - 1], [(nx - 1) / 2, (ny - 1) / 2]])
    sky = wcs.all_pix2world(corners, 0)
    ra0, dec0 = float(sky[4, 0]), float(sky[4, 1])
    xi, eta = alg.sky_to_tp(sky[:4, 0], sky[:4, 1], ra0, dec0)
    return (ra0, dec0), float(np.max(np.hypot(xi, eta))) / 3600.0


def _tp(ra, dec, center):
    xi, eta = alg.sky_to_tp(ra, dec, *center)
    return np.column_stack([xi, eta])


def _not_enough(what, img_tp, ref_tp, matched, need, separation, tolerance, prefix) -> str:
    """Say, for a failed match, how many sources were left at each stage and what to try."""
    kept_img = int(alg.isolated(img_tp, separation).sum()) if len(img_tp) else 0
    kept_ref = int(alg.isolated(ref_tp, separation).sum()) if len(ref_tp) else 0
    return (f"{what}: not enough matches: {len(img_tp)} sources and {len(ref_tp)} reference sources, "
            f"{kept_img} and {kept_ref} kept after --{prefix}separation {separation:g}\" (isolated), "
            f"{matched} matched within --{prefix}tolerance {tolerance:g}\", {need} needed "
            f"(--{prefix}minobj); try a smaller --{prefix}separation (crowded field), a larger "
            f"--{prefix}tolerance or --{prefix}searchrad (large WCS error), or a lower --{prefix}minobj "
            "(few sources)")


def _match_and_fit(img_tp, ref_tp, *, minobj, fitgeometry, nclip, sigma, searchrad, use2dhist, separation,
                   tolerance, offset, pscale, what, prefix=""):
    """Match two tangent-plane catalogs (arcsec) and fit ``ref ~ F img + s``; DataError if it fails."""
    if separation <= math.sqrt(2.0) * tolerance:
        raise UsageError("separation must be larger than sqrt(2) * tolerance")
    if use2dhist:
        offset, _ = alg.estimate_shift_2dhist(img_tp, ref_tp, searchrad, pscale=pscale)
    ii, jj = alg.match_tolerance(img_tp, ref_tp, offset, tolerance, separation)
    need = max(minobj, alg.MIN_POINTS[fitgeometry])
    if ii.size < need:
        raise DataError(_not_enough(what, img_tp, ref_tp, ii.size, need, separation, tolerance, prefix))
    f, s, used, rmse = alg.iter_fit(ref_tp[jj], img_tp[ii], fitgeometry, nclip=nclip, sigma=sigma)
    return f, s, ii, jj, used, rmse


def run(
    source: stage3.ExposureSource,
    *,
    snr_threshold: float = 10.0,
    kernel_fwhm: float = 2.5,
    bkg_boxsize: int = 400,
    brightest: int | None = 200,
    peakmax: float | None = None,
    save_catalogs: str | None = None,
    use_custom_catalogs: str | None = None,
    minobj: int = 15,
    fitgeometry: str = "rshift",
    nclip: int = 3,
    sigma: float = 3.0,
    searchrad: float = 2.0,
    use2dhist: bool = True,
    separation: float = 1.0,
    tolerance: float = 0.7,
    xoffset: float = 0.0,
    yoffset: float = 0.0,
    abs_refcat: str | None = None,
    abs_minobj: int = 15,
    abs_fitgeometry: str = "rshift",
    abs_nclip: int = 3,
    abs_sigma: float = 3.0,
    abs_searchrad: float = 6.0,
    abs_use2dhist: bool = True,
    abs_separation: float = 1.0,
    abs_tolerance: float = 0.7,
    skip_unsupported: bool = False,
) -> Iterator[Exposure]:
    """Align exposures; yield them, in input order, with corrected SCI-header WCS.

    Parameters
    ----------
    source : callable or sequence of Exposure
        ``source(headers_only)`` returns a fresh iterator over the input exposures (called twice;
        :data:`jwcal.steps.stage3_inputs.ExposureSource`, as resample and outlier), or a sequence.
    snr_threshold, kernel_fwhm, bkg_boxsize, brightest, peakmax
        Source finding (jwst names and defaults; FWHM and box in pixels).
    save_catalogs : str or None
        Directory where each exposure's sources are written as ``<root>_cat.ecsv``.
    use_custom_catalogs : str or None
        Directory with ``<root>_cat.ecsv`` catalogs (``x``, ``y`` 0-based) used instead of detection.
    minobj, fitgeometry, nclip, sigma, searchrad, use2dhist, separation, tolerance, xoffset, yoffset
        Relative alignment (arcsec in the tangent plane; jwst names and defaults).
    abs_refcat : str or None
        Reference catalog file (ECSV or FITS table with RA/DEC); None for no absolute alignment.
    abs_minobj, abs_fitgeometry, abs_nclip, abs_sigma, abs_searchrad, abs_use2dhist, abs_separation
        As above, for the absolute alignment.
    abs_tolerance
        Absolute matching tolerance (arcsec).
    skip_unsupported : bool
        A group that cannot be aligned keeps its WCS with ``S_TWKREG='SKIPPED'`` instead of failing.

    Raises
    ------
    DataError
        A fit failed (too few sources or matches) and ``skip_unsupported`` is False.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/tweakreg.py)
    for name, geom in (("fitgeometry", fitgeometry), ("abs_fitgeometry", abs_fitgeometry)):
        if geom not in alg.FIT_GEOMETRIES:
            raise UsageError(f"{name} must be one of {', '.join(alg.FIT_GEOMETRIES)}")
    params = {"snr_threshold": snr_threshold, "kernel_fwhm": kernel_fwhm, "brightest": brightest,
              "peakmax": peakmax, "bkg_boxsize": bkg_boxsize, "save_catalogs": save_catalogs}
    if use_custom_catalogs is not None and not Path(use_custom_catalogs).is_dir():
        raise DataError(f"{use_custom_catalogs}: no such directory (--use-custom-catalogs)")
    refcat = _read_refcat(abs_refcat) if abs_refcat else None
    if refcat is not None and refcat[0].size < abs_minobj:
        raise DataError(f"{abs_refcat}: {refcat[0].size} reference sources, fewer than --abs-minobj "
                        f"{abs_minobj} (lower --abs-minobj, or give a deeper catalog)")

    # ---- pass 1: catalogs
    images: list[_Image] = []
    for index, exposure in enumerate(stage3.iterate(source, False)):
        require(exposure, "tweakreg", IMAGE)
        try:
            header, wcs = _celestial_wcs(exposure)
        except UnsupportedError:
            if not skip_unsupported:
                raise
            images.append(_Image(exposure.label, None, f"#skip{index}", None, np.zeros(0), np.zeros(0),
                                 (0.0, 0.0), 0.0, 1.0, status="SKIPPED", notes=["no celestial WCS"]))
            continue
        x, y = _catalog(exposure, wcs, custom=use_custom_catalogs, params=params)
        shape = exposure["SCI"].shape[-2:]
        sky = wcs.all_pix2world(np.column_stack([x, y]), 0) if x.size else np.zeros((0, 2))
        center, radius = _footprint(wcs, shape)
        pscale = math.sqrt(abs(np.linalg.det(wcs.pixel_scale_matrix))) * 3600.0
        gid = products.group_id(exposure.peek_primary()) or f"#{index}"
        images.append(_Image(exposure.label, root_from_header(exposure.peek_primary()), gid, header,
                             sky[:, 0].copy(), sky[:, 1].copy(), center, radius, pscale))
        log.info("%s: %d sources", exposure.label, x.size)
        del exposure

    groups: dict[str, _Group] = {}
    for img in images:
        if img.status == "COMPLETE":
            groups.setdefault(img.group, _Group(img.group, [])).members.append(img)
    for grp in groups.values():
        grp.ra = np.concatenate([m.ra for m in grp.members])
        grp.dec = np.concatenate([m.dec for m in grp.members])
        grp.center = grp.members[0].center
        grp.radius = max(m.radius + _distance(m.center, grp.center) for m in grp.members)

    rel = dict(minobj=minobj, fitgeometry=fitgeometry, nclip=nclip, sigma=sigma, searchrad=searchrad,
               use2dhist=use2dhist, separation=separation, tolerance=tolerance, offset=(xoffset, yoffset))
    aligned = _relative(list(groups.values()), rel, skip_unsupported)
    if refcat is None and len(groups) < 2:
        for img in images:
            if img.status == "COMPLETE":
                img.status = "SKIPPED"
                img.notes.append("one exposure group and no absolute reference catalog: nothing to align")
    if refcat is not None and aligned:
        _absolute(aligned, refcat, dict(minobj=abs_minobj, fitgeometry=abs_fitgeometry, nclip=abs_nclip,
                                        sigma=abs_sigma, searchrad=abs_searchrad, use2dhist=abs_use2dhist,
                                        separation=abs_separation, tolerance=abs_tolerance,
                                        offset=(0.0, 0.0)), skip_unsupported, str(abs_refcat))

    # ---- pass 2: write the corrections
    for img, exposure in zip(images, stage3.iterate(source, False), strict=True):
        yield _apply(exposure, img, SPEC.history(values))
        del exposure


def _distance(a, b) -> float:
    """Angular distance in degrees between two (ra, dec) points."""
    xi, eta = alg.sky_to_tp(np.array([a[0]]), np.array([a[1]]), b[0], b[1])
    return float(np.hypot(xi, eta)[0]) / 3600.0


def _distances(points, center) -> np.ndarray:
    """Angular distances in degrees of (n, 2) (ra, dec) points from ``center`` (gnomonic, < 90 deg)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    xi, eta = alg.sky_to_tp(points[:, 0], points[:, 1], *center)
    return np.hypot(xi, eta) / 3600.0


def _relative(groups: list[_Group], rel: dict, skip_unsupported: bool) -> list[_Group]:
    """Align groups to a growing reference; return the aligned groups (with their catalog share)."""
    if not groups:
        return []
    order = sorted(range(len(groups)), key=lambda k: -groups[k].ra.size)
    first = groups[order[0]]
    for m in first.members:
        m.notes.append("relative alignment: reference group")
    aligned = [first]
    # reference share of each aligned group: its sources not already in the reference
    share_ra, share_dec = [first.ra], [first.dec]
    centers = np.array([first.center])
    radii = np.array([first.radius])
    pending = [groups[k] for k in order[1:]]
    cen = np.array([g.center for g in pending]).reshape(-1, 2)
    dmin = _distances(cen, first.center) - np.array([g.radius for g in pending]) - first.radius
    while pending:
        k = int(np.argmin(dmin))
        grp = pending.pop(k)
        cen = np.delete(cen, k, axis=0)
        dmin = np.delete(dmin, k)
        reach = grp.radius + 2.0 * rel["searchrad"] / 3600.0
        near = np.nonzero(_distances(centers, grp.center) < radii + reach)[0]
        what = f"{grp.members[0].label}" + (f" (group {grp.name})" if len(grp.members) > 1 else "")
        try:
            if near.size == 0:
                raise DataError(f"{what}: does not overlap any aligned exposure")
            ref_ra = np.concatenate([share_ra[i] for i in near])
            ref_dec = np.concatenate([share_dec[i] for i in near])
            ref_tp = _tp(ref_ra, ref_dec, grp.center)
            img_tp = _tp(grp.ra, grp.dec, grp.center)
            f, s, ii, _jj, used, rmse = _match_and_fit(img_tp, ref_tp, pscale=grp.members[0].pscale,
                                                        what=what, **rel)
            limit = 2.0 * (rel["searchrad"] + rel["tolerance"])
            moved = np.hypot(*(img_tp @ f.T + s - img_tp).T).max() if len(img_tp) else 0.0
            if moved > limit:
                raise DataError(f"{what}: correction of {moved:.2f} arcsec exceeds 2*(searchrad+tolerance)")
        except DataError as exc:
            if not skip_unsupported:
                raise
            for m in grp.members:
                m.status = "SKIPPED"
                m.notes.append(f"relative alignment failed: {exc}")
            continue
        new_tp = img_tp @ f.T + s
        grp.ra, grp.dec = alg.tp_to_sky(new_tp[:, 0], new_tp[:, 1], *grp.center)
        _record(grp, f, s, rmse, int(used.sum()), "relative")
        unmatched = np.ones(len(img_tp), dtype=bool)
        unmatched[ii] = False
        share_ra.append(grp.ra[unmatched])
        share_dec.append(grp.dec[unmatched])
        aligned.append(grp)
        centers = np.vstack([centers, grp.center])
        radii = np.append(radii, grp.radius)
        if pending:
            dnew = _distances(cen, grp.center) - radii[-1] - np.array([g.radius for g in pending])
            dmin = np.minimum(dmin, dnew)
    for i, grp in enumerate(aligned):
        grp.ra, grp.dec = share_ra[i], share_dec[i]  # merged catalog: each star once
    return aligned


def _record(grp: _Group, f, s, rmse, nmatch, kind):
    rot, scale, skew = alg.decompose(f)
    for m in grp.members:
        m.corrections.append((grp.center, f, s))
        m.keywords["TWK_RMS" if kind == "relative" else "TWKA_RMS"] = (
            round(rmse, 6), f"tweakreg {kind} fit RMS (arcsec)")
        m.keywords["TWK_NMAT" if kind == "relative" else "TWKANMAT"] = (nmatch, f"tweakreg {kind} matches")
        m.notes.append(f"{kind} fit: shift ({s[0]:+.4f}, {s[1]:+.4f}) arcsec, rotation "
                       f"{rot * 3600:+.4f} arcsec, scale {scale:.8f}, skew {skew * 3600:+.4f} arcsec, "
                       f"rms {rmse * 1000:.2f} mas, {nmatch} matches")


def _absolute(aligned: list[_Group], refcat, absp: dict, skip_unsupported: bool, name: str) -> None:
    """One fit of all aligned groups together to the reference catalog."""
    ra = np.concatenate([g.ra for g in aligned])
    dec = np.concatenate([g.dec for g in aligned])
    center = aligned[0].center
    radius = max(g.radius + _distance(g.center, center) for g in aligned) + absp["searchrad"] / 3600.0
    ref_tp = _tp(*refcat, center)
    inside = np.hypot(ref_tp[:, 0], ref_tp[:, 1]) < radius * 3600.0
    try:
        f, s, _ii, _jj, used, rmse = _match_and_fit(
            _tp(ra, dec, center), ref_tp[inside], pscale=aligned[0].members[0].pscale,
            what=f"absolute alignment to {Path(name).name}", prefix="abs-", **absp)
    except DataError as exc:
        if not skip_unsupported:
            raise
        for grp in aligned:
            for m in grp.members:
                m.notes.append(f"absolute alignment skipped: {exc}")
        return
    whole = _Group("all", [m for g in aligned for m in g.members], center=center)
    _record(whole, f, s, rmse, int(used.sum()), "absolute")
    for m in whole.members:
        m.keywords["WCSNAME"] = (f"FIT-LVL3-{Path(name).name}"[:68], "tweakreg absolute alignment")


def correct_header(header, center, matrix, shift):
    """Return a copy of a TAN/TAN-SIP header with the tangent-plane correction applied.

    The correction maps sky positions through the standard coordinates (arcsec) about ``center``:
    ``t -> matrix @ t + shift``. CRVAL moves with the reference pixel; CD is multiplied by the
    Jacobian of the corrected linear WCS at CRPIX (central differences, 10 px); SIP coefficients act
    in pixel space and stay as they are.
    """
    from astropy.wcs import WCS

    header = header.copy()
    wcs = WCS(header)
    crpix = wcs.wcs.crpix
    h = 10.0
    pix = crpix + np.array([[0.0, 0.0], [h, 0.0], [-h, 0.0], [0.0, h], [0.0, -h]])
    sky = wcs.wcs_pix2world(pix, 1)  # linear part only (no SIP)
    xi, eta = alg.sky_to_tp(sky[:, 0], sky[:, 1], *center)
    t = np.column_stack([xi, eta]) @ np.asarray(matrix).T + np.asarray(shift)
    ra, dec = alg.tp_to_sky(t[:, 0], t[:, 1], *center)
    crval = (float(ra[0]), float(dec[0]))
    u, v = alg.sky_to_tp(ra, dec, *crval)
    u, v = u / 3600.0, v / 3600.0
    cd = np.array([[(u[1] - u[2]) / (2 * h), (u[3] - u[4]) / (2 * h)],
                   [(v[1] - v[2]) / (2 * h), (v[3] - v[4]) / (2 * h)]])
    header["CRVAL1"], header["CRVAL2"] = crval
    for key in ("PC1_1", "PC1_2", "PC2_1", "PC2_2", "CDELT1", "CDELT2"):
        header.remove(key, ignore_missing=True)
    for i in range(2):
        for j in range(2):
            header[f"CD{i + 1}_{j + 1}"] = float(cd[i, j])
    return header


def _s_region(header, shape) -> str:
    from astropy.wcs import WCS

    ny, nx = shape
    corners = np.array([[0.5, 0.5], [nx + 0.5, 0.5], [nx + 0.5, ny + 0.5], [0.5, ny + 0.5]])
    sky = WCS(header).all_pix2world(corners, 1)
    return "POLYGON ICRS " + " ".join(f"{ra:.9f} {dec:.9f}" for ra, dec in sky)


def _apply(exposure: Exposure, img: _Image, history: str) -> Exposure:
    out = Exposure(list(exposure.hdus), exposure.source)
    primary = out.primary
    for note in img.notes:
        primary.add_history(f"tweakreg: {note}")
    primary.add_history(history)
    if img.status != "COMPLETE":
        primary["S_TWKREG"] = ("SKIPPED", "tweakreg")
        return out
    if not img.corrections:  # the reference of a relative-only alignment keeps its WCS
        primary["S_TWKREG"] = ("COMPLETE", "tweakreg")
        return out
    sci = out["SCI"]
    header = sci.header
    new = img.header
    for center, f, s in img.corrections:
        new = correct_header(new, center, f, s)
    for key in ("CRVAL1", "CRVAL2", "CD1_1", "CD1_2", "CD2_1", "CD2_2"):
        header[key] = new[key]
    for key in ("PC1_1", "PC1_2", "PC2_1", "PC2_2", "CDELT1", "CDELT2"):
        header.remove(key, ignore_missing=True)
    for key, value in img.keywords.items():
        header[key] = value
    if "S_REGION" in header:
        header["S_REGION"] = _s_region(new, sci.shape[-2:])
    if out.get("ASDF") is not None:
        out.remove("ASDF")
        primary.add_history("tweakreg: ASDF extension removed: its gwcs would contradict the corrected "
                            "FITS WCS in the SCI header")
    primary["S_TWKREG"] = ("COMPLETE", "tweakreg")
    return out
