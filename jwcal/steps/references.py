"""Reference files in CRDS layouts: matching them to the science data and cutting subarrays.

Every detector-level step takes its reference files as explicit paths; the command reads them
into :class:`~jwcal.exposure.Exposure` values and the step calls :func:`reference_array` to get the
array matching the science exposure (checked for detector, cut to the science subarray).
The rules are jwst's ``lib/reffile_utils.py``: the 1-based SUBSTRT1/2 and SUBSIZE1/2 keywords
place both arrays on the full frame; a reference without them must be full frame.

A reference option may also name a directory; the command then passes a chooser (anything with
``for_exposure(header, label) -> Exposure``, :class:`jwcal.io.refdir.ReferenceDirectory`) and
:func:`chosen` resolves it for each exposure. :func:`record_references` writes what was used into
the product as jwst does: ``R_<TYPE>`` keywords and a HISTORY card with PEDIGREE and USEAFTER.
"""

from __future__ import annotations

import os
import textwrap

import numpy as np

from jwcal import dq
from jwcal.errors import ReferenceFileError
from jwcal.exposure import Exposure

#: Full-frame (rows, columns) per instrument, reference pixels included.
FULL_FRAME = {"MIRI": (1024, 1032)}
NIR_FULL_FRAME = (2048, 2048)

#: jwst's primary-header keyword for each reference type (stdatamodels ``core.schema`` ``ref_file``).
KEYWORDS = {
    "AREA": "R_AREA", "DARK": "R_DARK", "DISTORTION": "R_DISTOR", "FLAT": "R_FLAT", "GAIN": "R_GAIN",
    "IPC": "R_IPC", "LINEARITY": "R_LINEAR", "MASK": "R_MASK", "PERSAT": "R_PERSAT", "PHOTOM": "R_PHOTOM",
    "READNOISE": "R_READNO", "REFPIX": "R_REFPIX", "RESET": "R_RESET", "RSCD": "R_RSCD",
    "SATURATION": "R_SATURA", "SUPERBIAS": "R_SUPERB", "TRAPDENSITY": "R_TRPDEN", "TRAPPARS": "R_TRPPAR",
}
#: Keywords that describe a CRDS selection; a product whose references jwcal chose drops them.
CRDS_KEYWORDS = ("CRDS_CTX", "CRDS_VER")


def chosen(science: Exposure, reference, reftype: str) -> Exposure:
    """Return the reference file for ``science``: ``reference`` itself, or a directory's choice.

    Raises
    ------
    ReferenceFileError
        A directory without a file for this exposure (the message says what was looked for).
    """
    choose = getattr(reference, "for_exposure", None)
    return reference if choose is None else choose(science.peek_primary(), science.label)


def recorded_name(reference: Exposure, from_directory: bool) -> str:
    """Return what ``R_<TYPE>`` holds for a reference file, as jwst writes it.

    jwst writes ``crds://<name>`` for files CRDS chose and the bare file name for a file the user
    gave (an override). A file chosen from a directory with a CRDS name gets ``crds://``.
    """
    name = os.path.basename(str(reference.source))
    crds = name.startswith("jwst_") and name.lower().endswith(".fits")
    return f"crds://{name}" if from_directory and crds else name


def record_references(primary, science: Exposure, references: dict) -> None:
    """Write ``R_<TYPE>`` and one HISTORY card per reference into a product's primary header.

    Parameters
    ----------
    primary : astropy.io.fits.Header
        The new product's primary header (changed in place).
    science : Exposure
        The exposure the references were applied to (directories are resolved for it).
    references : dict
        ``{reftype: Exposure or directory chooser}``.
    """
    for reftype, reference in references.items():
        used = chosen(science, reference, reftype)
        from_directory = used is not reference
        name = recorded_name(used, from_directory)
        keyword, comment = KEYWORDS.get(reftype, f"R_{reftype[:6]}"), f"{reftype.lower()} reference file"
        # a comment that does not fit the card would be truncated with a warning: leave it out
        primary[keyword] = (name, comment) if 13 + max(len(name) + 2, 20) + len(comment) <= 80 else name
        header = used.peek_primary()
        facts = [f"{key}={str(header[key]).strip()}" for key in ("PEDIGREE", "USEAFTER") if key in header]
        where = f" (chosen from {reference.path})" if from_directory and hasattr(reference, "path") else ""
        # cut at spaces (a HISTORY card holds 72 characters; astropy would cut inside words)
        for line in textwrap.wrap(f"jwcal reference {reftype}: {name}{where} {' '.join(facts)}", 72):
            primary["HISTORY"] = line
    for key in CRDS_KEYWORDS if references else ():
        primary.remove(key, ignore_missing=True, remove_all=True)


def full_frame_shape(instrument: str) -> tuple[int, int]:
    """Return the full-frame (rows, columns) of an instrument's detectors."""
    return FULL_FRAME.get(str(instrument).upper(), NIR_FULL_FRAME)


def subarray_box(header, shape: tuple[int, ...], instrument: str) -> tuple[int, int, int, int]:
    """Return the 0-based (ystart, xstart, ny, nx) of an array on the full frame.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A header carrying SUBSTRT1/2 (1-based corner) and SUBSIZE1/2, or none of them.
    shape : tuple of int
        The array's shape; its last two axes (rows, columns) win over SUBSIZE (NIRSpec IRS2).
    instrument : str
        Decides the full-frame size assumed when the keywords are absent.

    Raises
    ------
    ReferenceFileError
        Keywords absent on an array that is not full frame, or a start below 1.
    """
    ny, nx = shape[-2], shape[-1]
    if "SUBSTRT1" not in header or "SUBSTRT2" not in header:
        if (ny, nx) != full_frame_shape(instrument):
            raise ReferenceFileError(f"array of {ny}x{nx} pixels has no SUBSTRT1/SUBSTRT2 keywords")
        return 0, 0, ny, nx
    xstart, ystart = int(header["SUBSTRT1"]), int(header["SUBSTRT2"])
    if xstart < 1 or ystart < 1:
        raise ReferenceFileError(f"SUBSTRT1/SUBSTRT2 = {xstart}/{ystart}: must be at least 1")
    return ystart - 1, xstart - 1, ny, nx


def _detector_check(science: Exposure, reference: Exposure, reftype: str) -> None:
    sci, ref = science.peek_primary(), reference.peek_primary()
    for key in ("INSTRUME", "DETECTOR"):
        want, have = sci.get(key), ref.get(key)
        if want and have and str(want).strip().upper() != str(have).strip().upper():
            raise ReferenceFileError(f"{reftype} reference is for {key} {have}, the data are {want}")


def reference_array(science: Exposure, reference: Exposure, extname: str, reftype: str,
                    science_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Return the ``extname`` array of ``reference`` matching the science exposure's pixels.

    Parameters
    ----------
    science : Exposure
        The exposure to calibrate; its SCI header and shape define the subarray.
    reference : Exposure
        A CRDS-layout reference file (full frame or a larger subarray).
    extname : str
        The reference HDU holding the array (``SCI``, ``DQ``, ``COEFFS``, ...).
    reftype : str
        GAIN, READNOISE, MASK, ... for messages.
    science_shape : tuple of int, optional
        Shape of the science data (default: the SCI HDU's shape from its header).

    Returns
    -------
    numpy.ndarray
        The reference array, shape ``(..., ny, nx)`` of the science data; a view when possible,
        never written to by jwcal.

    Raises
    ------
    ReferenceFileError
        Wrong instrument/detector, a missing extension, or a box that does not contain the data.
    """
    reference = chosen(science, reference, reftype)
    _detector_check(science, reference, reftype)
    if extname not in reference:
        raise ReferenceFileError(f"{reftype} reference has no {extname} extension")
    instrument = science.peek_primary().get("INSTRUME", "")
    sci_header = science.peek_primary()
    shape = science_shape or science["SCI"].shape
    data = reference[extname].data
    if data is None or data.ndim < 2:
        raise ReferenceFileError(f"{reftype} reference {extname} is not an image")
    sy, sx, ny, nx = subarray_box(sci_header, shape, instrument)
    ry, rx, rny, rnx = subarray_box(_geometry_header(reference, extname), data.shape, instrument)
    y0, x0 = sy - ry, sx - rx
    if y0 < 0 or x0 < 0 or y0 + ny > rny or x0 + nx > rnx:
        raise ReferenceFileError(
            f"{reftype} reference ({rny}x{rnx} at {ry + 1},{rx + 1}) does not cover the data "
            f"({ny}x{nx} at {sy + 1},{sx + 1})"
        )
    return data[..., y0:y0 + ny, x0:x0 + nx]


def _geometry_header(reference: Exposure, extname: str):
    """SUBSTRT keywords live in the primary header of CRDS files, sometimes in the extension."""
    primary = reference.peek_primary()
    if "SUBSTRT1" in primary:
        return primary
    return reference[extname].peek_header()


def mask_dq(science: Exposure, mask: Exposure) -> np.ndarray:
    """Return the MASK reference's DQ as standard jwst bits (uint32), cut to the science pixels."""
    mask = chosen(science, mask, "MASK")
    return remap_dq(reference_array(science, mask, "DQ", "MASK"), mask.get("DQ_DEF"), "MASK")


def reference_dq(science: Exposure, reference: Exposure, reftype: str) -> np.ndarray:
    """Return a reference file's DQ as standard bits (uint32, cut to the science pixels).

    Zeros when the file has no DQ extension (SATURATION, SUPERBIAS, ... files may have none).
    """
    reference = chosen(science, reference, reftype)
    if "DQ" not in reference:
        return np.zeros(science["SCI"].shape[-2:], np.uint32)
    return remap_dq(reference_array(science, reference, "DQ", reftype), reference.get("DQ_DEF"), reftype)


def remap_dq(raw: np.ndarray, table, reftype: str) -> np.ndarray:
    """Return ``raw`` DQ values as standard jwst bits, through a DQ_DEF table (an HDU or None).

    Each DQ_DEF row's pixels get the standard bit of its NAME, so files with private bit
    positions are read right (stdatamodels' ``dynamic_mask``). Names unknown to :mod:`jwcal.dq`
    are ignored. Without a table the values are used as they are.
    """
    raw = np.asarray(raw).astype(np.uint32)
    if table is None or table.data is None or len(table.data) == 0:
        return raw
    names = {name.upper(): name for name in table.data.dtype.names}
    if "VALUE" not in names or "NAME" not in names:
        raise ReferenceFileError(f"{reftype} reference DQ_DEF needs VALUE and NAME columns")
    remapped = np.zeros_like(raw)
    for value, name in zip(table.data[names["VALUE"]], table.data[names["NAME"]], strict=True):
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else str(name)
        flag = dq.PIXEL.get(text.strip().upper())
        if flag:
            remapped[(raw & np.uint32(value)) != 0] |= np.uint32(flag)
    return remapped
