"""Imaging outlier detection (jwst ``outlier_detection``, imaging mode), streaming.

Three passes over the inputs, one exposure in memory at a time:

1. headers: WCS and units of every input, the common mosaic grid (resample's default grid);
2. data: the members of each exposure group (same jwst group id, adjacent in the input order) are
   drizzled together over their bounding box on that grid ("single" drizzle), low-weight pixels
   masked (``maskpt``), and the result appended to a raw file in a temporary directory; then the
   median of the groups is computed by row blocks read back from disk, so memory holds one mosaic
   (the median) plus one block of rows of all groups, whatever the number of inputs;
3. data again: the median is blotted back to each input, outliers are flagged
   ``OUTLIER|DO_NOT_USE`` in DQ, and SCI/ERR/VAR_* are set NaN there (jwst's
   ``match_nans_and_flags``); the ``_crf`` exposure is yielded.

With ``resample_data=False`` the inputs are taken as aligned (same shape, same pixel grid) and the
median is that of the input images themselves.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator

import numpy as np

from jwcal import methods
from jwcal.algorithms import outlier as alg
from jwcal.algorithms import resample as drz
from jwcal.errors import DataError, UnsupportedError, UsageError
from jwcal.exposure import HDU, Exposure
from jwcal.products import with_suffix
from jwcal.specs.outlier import SPEC
from jwcal.steps import fits_wcs, mosaic_grid
from jwcal.steps import stage3_inputs as stage3

log = logging.getLogger("jwcal")

KERNELS = methods.FLUX_CONSERVING_KERNELS
#: Bytes of one row block of all groups read back for the median.
BLOCK_BYTES = 32 << 20


def parse_pair(text: str | tuple, name: str) -> tuple[float, float]:
    """Return two floats from jwst's ``"5.0 4.0"`` notation (or a pair)."""
    values = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    try:
        pair = tuple(float(v) for v in values)
    except ValueError:
        pair = ()
    if len(pair) != 2:
        raise UsageError(f"{name}: expected two numbers such as '5.0 4.0', got {text!r}")
    return pair  # type: ignore[return-value]


class DiskStack:
    """Images on a common grid, each over its own box, kept in raw files in a temporary directory.

    :meth:`median` reads them back by blocks of rows, so memory never holds all of them.
    """

    def __init__(self, shape: tuple[int, int]):
        self.shape = shape
        self._dir = tempfile.TemporaryDirectory(prefix="jwcal-outlier-")
        self.slots: list[tuple[tuple[int, int, int, int], str]] = []

    def add(self, box: tuple[int, int, int, int], image: np.ndarray) -> None:
        """Append ``image`` (float32, shape of ``box`` = ``(y0, y1, x0, x1)``) to the stack."""
        path = os.path.join(self._dir.name, f"{len(self.slots):05d}.f32")
        np.ascontiguousarray(image, dtype=np.float32).tofile(path)
        self.slots.append((box, path))

    def median(self, block_bytes: int = BLOCK_BYTES) -> np.ndarray:
        """Pixel-wise NaN-median of the stacked images (NaN outside each box); shape ``self.shape``."""
        ny, nx = self.shape
        n = max(len(self.slots), 1)
        rows = max(1, block_bytes // (n * nx * 4))
        out = np.full(self.shape, np.nan, dtype=np.float32)
        for r0 in range(0, ny, rows):
            r1 = min(r0 + rows, ny)
            block = np.full((n, r1 - r0, nx), np.nan, dtype=np.float32)
            for k, ((y0, y1, x0, x1), path) in enumerate(self.slots):
                a, b = max(r0, y0), min(r1, y1)
                if a >= b:
                    continue
                width = x1 - x0
                part = np.fromfile(path, dtype=np.float32, count=(b - a) * width, offset=(a - y0) * width * 4)
                block[k, a - r0:b - r0, x0:x1] = part.reshape(b - a, width)
            out[r0:r1] = alg.nanmedian_stack(block)
            del block
        return out

    def close(self) -> None:
        """Remove the temporary files."""
        self._dir.cleanup()


def _grid_box(info: stage3.InputInfo, wcs, shape, margin: float) -> tuple[int, int, int, int] | None:
    """Output box ``(y0, y1, x0, x1)`` covering an input's footprint (plus ``margin`` pixels)."""
    u, v = wcs.wcs_world2pix(info.footprint[:, 0], info.footprint[:, 1], 0)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        return None
    y0, y1 = max(int(np.floor(v.min() - margin)), 0), min(int(np.ceil(v.max() + margin)) + 1, shape[0])
    x0, x1 = max(int(np.floor(u.min() - margin)), 0), min(int(np.ceil(u.max() + margin)) + 1, shape[1])
    return None if (y0 >= y1 or x0 >= x1) else (y0, y1, x0, x1)


def _union(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _masked_single(dsum, wsum, maskpt: float) -> np.ndarray:
    """Single-drizzled image with NaN where the weight is below the ``maskpt`` threshold."""
    return alg.masked_mean(dsum, wsum, alg.weight_threshold(wsum, maskpt))


def _single_drizzle_groups(exposures, infos, wcs, shape, ratio, stack, *, kernel, pixfrac, weight_type, bad,
                           maskpt):
    """Pass 2: drizzle each run of adjacent inputs with one group id; append each to ``stack``."""
    margin = 2.0 + 2.0 / min(ratio, 1.0)
    seen: set[str] = set()
    current, box, dsum, wsum = None, None, None, None

    def finish():
        if current is not None and wsum is not None and (wsum > 0).any():
            stack.add(box, _masked_single(dsum[0], wsum, maskpt))

    for index, exposure in enumerate(stage3.iterate(exposures, False)):
        info = infos[index]
        if info.group_id != current:
            finish()
            if info.group_id in seen:
                log.warning("%s: inputs of group %s are not adjacent; their parts count as separate groups "
                            "in the median (sort the inputs)", exposure.label, info.group_id)
            seen.add(info.group_id)
            current = info.group_id
            box = None
            for later in infos[index:]:
                if later.group_id != current:
                    break
                box = _union(box, _grid_box(later, wcs, shape, margin))
            if box is None:
                raise DataError(f"{exposure.label}: does not overlap the output grid")
            dsum = wsum = None
        sci, weights, _ = stage3.input_arrays(exposure, bad_bits=bad, weight_type=weight_type)
        pmap = fits_wcs.pixmap(info.wcs, wcs, sci.shape)
        # The first member's sums become the group's; later members are drizzled into them.
        _, dsum, wsum = drz.drizzle(sci[None], weights, pmap, shape, kernel=kernel, pixfrac=pixfrac,
                                    pixel_scale_ratio=ratio, box=box,
                                    out=None if dsum is None else (dsum, wsum))
        del exposure, sci, weights, pmap
    finish()


def _stack_inputs(exposures, infos, stack, *, weight_type, bad, maskpt):
    """Pass 2 without resampling: the inputs themselves (aligned, same shape) with low weights masked."""
    shape = infos[0].shape
    for index, exposure in enumerate(stage3.iterate(exposures, False)):
        if infos[index].shape != shape:
            raise DataError(f"{exposure.label}: shape {infos[index].shape} differs from {shape}; "
                            "resample_data=False needs aligned inputs of one shape")
        sci, weights, _ = stage3.input_arrays(exposure, bad_bits=bad, weight_type=weight_type)
        image = np.where(weights > 0, sci, np.nan).astype(np.float32)
        image[weights < alg.weight_threshold(weights, maskpt)] = np.nan
        stack.add((0, shape[0], 0, shape[1]), image)


def flag_exposure(exposure: Exposure, outliers: np.ndarray, params: str) -> Exposure:
    """Return a copy of ``exposure`` with ``outliers`` flagged and NaN/DO_NOT_USE made consistent."""
    names = [n for n in ("ERR", *stage3.VARIANCES) if n in exposure]
    dqarr, sci, others = alg.mark_outliers(outliers, exposure["DQ"].data if "DQ" in exposure else None,
                                           exposure["SCI"].data, [exposure[n].data for n in names])
    arrays = dict(zip(names, others, strict=True))
    new = {"SCI": sci, "DQ": dqarr, **arrays}
    hdus = []
    for hdu in exposure:
        if hdu.name == "PRIMARY":
            primary = hdu.peek_header().copy()
            primary["S_OUTLIR"] = "COMPLETE"
            filename = with_suffix(str(primary.get("FILENAME", "") or ""), "crf")
            if filename:
                primary["FILENAME"] = filename
            primary["HISTORY"] = params
            hdus.append(HDU(header=primary))
        elif hdu.name in new:
            hdus.append(HDU.image(hdu.name, new.pop(hdu.name), hdu.peek_header()))
        else:
            hdus.append(hdu)
    if "DQ" in new:
        hdus.insert(next(i for i, h in enumerate(hdus) if h.name == "SCI") + 1, HDU.image("DQ", new["DQ"]))
    return Exposure(hdus, source=exposure.source)


def _skip(exposures) -> Iterator[Exposure]:
    for exposure in stage3.iterate(exposures, False):
        hdus = list(exposure)
        primary = exposure.peek_primary().copy()
        primary["S_OUTLIR"] = "SKIPPED"
        filename = with_suffix(str(primary.get("FILENAME", "") or ""), "crf")
        if filename:
            primary["FILENAME"] = filename
        hdus[0] = HDU(header=primary)
        yield Exposure(hdus, source=exposure.source)


def run(
    exposures: stage3.ExposureSource,
    *,
    weight_type: str = "ivm",
    pixfrac: float = 1.0,
    kernel: str = "square",
    fillval: str = "NaN",
    maskpt: float = 0.7,
    snr: str = "5.0 4.0",
    scale: str = "1.2 0.7",
    backg: float = 0.0,
    resample_data: bool = True,
    good_bits: str = "~DO_NOT_USE",
    skip_unsupported: bool = False,
) -> Iterator[Exposure]:
    """Flag outliers in every input against the median of all; yield the ``_crf`` exposures in order.

    Parameters
    ----------
    exposures : callable or sequence of Exposure
        ``exposures(headers_only)`` returns a fresh iterable of the inputs (called three times).
    weight_type : {"ivm", "exptime"}
        Drizzle weights of the single mosaics (as resample).
    pixfrac : float
        Drop size of the single drizzle.
    kernel : {"square", "point", "turbo"}
        Single-drizzle kernel.
    fillval : str
        Accepted for jwst compatibility; pixels without weight never enter the median.
    maskpt : float
        Pixels of a single mosaic with weight below ``maskpt`` × its typical weight are not used.
    snr : str
        Two thresholds in units of ERR (neighbourhood test, pixel test).
    scale : str
        Two factors of the median's local derivative (neighbourhood test, pixel test).
    backg : float
        Background level subtracted from the inputs in the comparison (BKGLEVEL overrides it when
        the input was not background-subtracted).
    resample_data : bool
        False: inputs are aligned; the median is that of the input images, no drizzle or blot.
    good_bits : str
        DQ flags of usable pixels, jwst notation (default: all but DO_NOT_USE).
    skip_unsupported : bool
        With fewer than two inputs, pass them through with ``S_OUTLIR='SKIPPED'`` instead of failing.

    Yields
    ------
    Exposure
        Each input with ``DQ |= OUTLIER|DO_NOT_USE`` at outliers and NaN SCI/ERR/VAR_* wherever
        DO_NOT_USE is set; ``S_OUTLIR='COMPLETE'``, FILENAME with the ``_crf`` suffix.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/outlier.py)
    if kernel not in KERNELS:
        raise UsageError(f"outlier kernel must be one of {', '.join(KERNELS)}")
    if weight_type not in stage3.WEIGHT_TYPES:
        raise UsageError(f"weight_type must be one of {', '.join(stage3.WEIGHT_TYPES)}")
    if not 0.0 < pixfrac <= 1.0:
        raise UsageError("pixfrac must be in (0, 1]")
    snr_pair, scale_pair = parse_pair(snr, "snr"), parse_pair(scale, "scale")
    stage3.parse_fillval(fillval)
    bad = stage3.bad_bits_mask(good_bits)
    infos = stage3.scan_headers(exposures)
    if len(infos) < 2:
        if skip_unsupported:
            yield from _skip(exposures)
            return
        raise UnsupportedError("outlier detection needs at least two input exposures")
    params = SPEC.history(values)
    stack = None
    try:
        if resample_data:
            wcs, shape, ratio = mosaic_grid.output_grid(infos)
            stack = DiskStack(shape)
            _single_drizzle_groups(exposures, infos, wcs, shape, ratio, stack, kernel=kernel, pixfrac=pixfrac,
                                   weight_type=weight_type, bad=bad, maskpt=maskpt)
        else:
            wcs, shape = None, infos[0].shape
            stack = DiskStack(shape)
            _stack_inputs(exposures, infos, stack, weight_type=weight_type, bad=bad, maskpt=maskpt)
        log.info("outlier: median of %d images of %dx%d pixels", len(stack.slots), shape[1], shape[0])
        median = stack.median()
    finally:
        if stack is not None:
            stack.close()
    for index, exposure in enumerate(stage3.iterate(exposures, False)):
        info = infos[index]
        sci = np.asarray(exposure["SCI"].data, dtype=np.float32)
        err = exposure["ERR"].data if "ERR" in exposure else np.zeros(sci.shape, np.float32)
        primary = exposure.peek_primary()
        level = backg
        if primary.get("BKGLEVEL") is not None and primary.get("BKGSUB") is False:
            level = float(primary["BKGLEVEL"])
        if resample_data:
            blot = drz.blot(median, fits_wcs.pixmap(info.wcs, wcs, sci.shape), fillval=np.nan)
            outliers = alg.flag_resampled(sci, blot, err, backg=level, snr=snr_pair, scale=scale_pair)
        else:
            outliers = alg.flag_median(sci, median, err, snr1=snr_pair[0])
        log.info("%s: %d pixels marked as outliers", exposure.label, int(outliers.sum()))
        yield flag_exposure(exposure, outliers, params)
        del exposure, sci, err
