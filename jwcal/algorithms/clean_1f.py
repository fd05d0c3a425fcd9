"""1/f striping removal from NIR rate/cal images (caveat GI04).

Like jwst ``clean_flicker_noise``'s median method and the community ``image1overf`` tools.

In detector orientation (rows = fast read direction), sources are masked by an iterative
``n_sigma`` clip (robust sigma from the MAD) grown by one pixel, together with ``bad`` pixels; each
amplifier (4 stripes of nx / 4 columns) gets its background median; then, per row and amplifier,
the median of the unmasked pixels minus that background is the 1/f offset subtracted from the row's
pixels in that amplifier. The sky level is kept.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from scipy import ndimage


def source_mask(image: np.ndarray, bad: np.ndarray, n_sigma: float = 2.0, iterations: int = 5) -> np.ndarray:
    """Return True where a pixel may be used for the background (not a source, not bad, finite).

    Parameters
    ----------
    image : numpy.ndarray
        (ny, nx) image (any unit).
    bad : numpy.ndarray
        (ny, nx) bool, pixels never used.
    n_sigma : float
        Clip level above and below the median, in robust sigmas.
    iterations : int
        Clipping iterations.
    """
    usable = np.isfinite(image) & ~bad
    for _ in range(iterations):
        values = image[usable]
        if values.size == 0:
            break
        med = np.median(values)
        sigma = 1.4826 * np.median(np.abs(values - med))
        if sigma == 0:
            break
        new = usable & (np.abs(image - med) <= n_sigma * sigma)
        if (new == usable).all():
            break
        usable = new
    sources = np.isfinite(image) & ~bad & ~usable
    return usable & ~ndimage.binary_dilation(sources, iterations=1)


def remove_1f(image: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Subtract per-row, per-amplifier medians of the masked background (relative to the amplifier's).

    Parameters
    ----------
    image : numpy.ndarray
        (ny, nx) image in detector orientation, nx a multiple of 4; not modified.
    usable : numpy.ndarray
        (ny, nx) bool background pixels (see :func:`source_mask`).

    Returns
    -------
    numpy.ndarray
        (ny, nx) float32 cleaned image; rows without usable pixels in an amplifier are unchanged.
    """
    if image.ndim != 2 or image.shape[1] % 4 or usable.shape != image.shape:
        raise ValueError("image must be (ny, nx) with nx a multiple of 4, usable the same shape")
    width = image.shape[1] // 4
    levels = np.zeros(4)
    for amp in range(4):
        values = image[:, amp * width:(amp + 1) * width][usable[:, amp * width:(amp + 1) * width]]
        levels[amp] = np.median(values) if values.size else 0.0
    out = np.empty(image.shape, np.float32)
    _rows(np.ascontiguousarray(image, np.float32), np.ascontiguousarray(usable), levels, out)
    return out


def stripe_power(image: np.ndarray, usable: np.ndarray) -> float:
    """Return the variance of the per-row (per amplifier) medians of the background (striping power)."""
    width = image.shape[1] // 4
    meds = []
    for amp in range(4):
        block, mask = image[:, amp * width:(amp + 1) * width], usable[:, amp * width:(amp + 1) * width]
        meds.extend(np.median(row[m]) - 0.0 for row, m in zip(block, mask, strict=True) if m.any())
    return float(np.var(meds))


@njit(cache=True, parallel=True)
def _rows(image, usable, levels, out):  # pragma: no cover - numba
    ny, nx = image.shape
    width = nx // 4
    for r in prange(ny):
        buf = np.empty(width, np.float64)
        for amp in range(4):
            n = 0
            for c in range(amp * width, (amp + 1) * width):
                if usable[r, c]:
                    buf[n] = image[r, c]
                    n += 1
            offset = np.median(buf[:n]) - levels[amp] if n > 0 else 0.0
            for c in range(amp * width, (amp + 1) * width):
                out[r, c] = image[r, c] - offset
