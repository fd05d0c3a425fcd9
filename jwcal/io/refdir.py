"""Reference directories: the best CRDS-layout file for each exposure, chosen offline from headers.

A reference option may name a directory (for example the cache ``jwcal refs`` filled) instead of
a file. :class:`ReferenceDirectory` scans the primary headers of its FITS files once (recursively;
CRDS-named files of another type are skipped by name) and, for each exposure, picks the file as
CRDS would from its rules, but from the files' own keywords (no ``.rmap``, no network):

1. REFTYPE is the type asked for; INSTRUME and DETECTOR equal the exposure's.
2. The selectors jwst documents for the type (``docs/jwst/references_general/*_selection.inc``)
   match: READPATT, EXP_TYPE, NOUTPUTS, BAND, FILTER where :data:`SELECTORS` lists them. A file
   states a value in the keyword or as a ``|``-separated list in its ``P_`` pattern keyword
   (``P_READPA``); ``ANY``, ``GENERIC``, ``N/A`` or no value matches every exposure.
3. SUBARRAY: a file for the exposure's subarray by name, or a full-frame or ``GENERIC`` one (the
   steps cut the subarray out of it); the SUBSTRT/SUBSIZE box of the file must hold the exposure's.
4. USEAFTER at or before the exposure's start (DATE-OBS + TIME-OBS, else EXPSTART).

Among the matches the most specific wins (named values over wildcards), then the newest USEAFTER,
then the highest file name (CRDS serial numbers grow). Files are read when first chosen and kept
for the following exposures (the last few, so a batch over several detectors does not re-read).
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from jwcal.errors import DataError, ReferenceFileError
from jwcal.exposure import Exposure

log = logging.getLogger("jwcal")

#: Selector keywords per reference type beyond INSTRUME, DETECTOR, SUBARRAY and the date; an
#: instrument's own row replaces the ``*`` row (jwst's ``*_selection.inc`` tables).
SELECTORS: dict[str, dict[str, tuple[str, ...]]] = {
    "MASK": {"*": (), "FGS": ("EXP_TYPE",), "NIRSPEC": ("READPATT",)},
    "GAIN": {"*": ()},
    "READNOISE": {"*": ("READPATT",)},
    "SATURATION": {"*": ()},
    "SUPERBIAS": {"*": ("READPATT",)},
    "LINEARITY": {"*": (), "MIRI": ("BAND", "FILTER")},
    "DARK": {"*": ("READPATT",), "NIRCAM": ("EXP_TYPE", "NOUTPUTS")},
}
#: Types whose SUBARRAY is not a selector for some instruments (full-frame files cover every subarray).
_NO_SUBARRAY = {"SATURATION": {"FGS", "MIRI", "NIRCAM", "NIRISS"}}
#: The HDU holding each type's array (its header gives the file's geometry).
DATA_EXTENSION = {"MASK": "DQ", "LINEARITY": "COEFFS"}
WILDCARDS = {"", "ANY", "GENERIC", "N/A", "NONE"}
FULL_FRAME = {"MIRI": (1024, 1032)}
_NIR_FULL = (2048, 2048)
_CRDS_NAME = re.compile(r"^jwst_([a-z]+)_([a-z0-9-]+)_(\d+)\.fits$", re.IGNORECASE)
_OLDEST = datetime.datetime(1900, 1, 1)
_KEEP_LOADED = 4
_headers: dict[str, tuple[tuple[int, int], Candidate | None]] = {}  # path -> (mtime, size), summary


def crds_name(path: str) -> bool:
    """Tell whether a file is named as CRDS names reference files (``jwst_nircam_gain_0097.fits``)."""
    return _CRDS_NAME.match(os.path.basename(path)) is not None


def parse_date(text) -> datetime.datetime | None:
    """Return a USEAFTER/DATE-OBS style date (ISO, or CRDS's older ``Jan 01 2015 00:00:00``), or None."""
    value = str(text or "").strip()
    if value[:4].isdigit():
        value = value.replace(" ", "T", 1)
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        pass
    for layout in ("%b %d %Y %H:%M:%S", "%b %d %Y"):
        try:
            return datetime.datetime.strptime(value, layout)
        except ValueError:
            continue
    return None


def exposure_date(header) -> datetime.datetime | None:
    """Return an exposure's start: DATE-OBS with TIME-OBS, else EXPSTART (MJD UTC), else None."""
    date = str(header.get("DATE-OBS", "") or "").strip()
    if date:
        time = str(header.get("TIME-OBS", "") or "").strip()
        found = parse_date(f"{date}T{time}" if time and "T" not in date else date)
        if found is not None:
            return found
    start = header.get("EXPSTART")
    if isinstance(start, int | float) and not isinstance(start, bool):
        return datetime.datetime(1858, 11, 17) + datetime.timedelta(days=float(start))
    return None


def _text(value) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip().upper()


def _stated(header, key: str) -> set[str] | None:
    """Return the values a reference file states for ``key``; None when it matches any value."""
    pattern = header.get(f"P_{key[:6]}")
    values = str(pattern).split("|") if pattern is not None else [header.get(key)]
    names = {_text(v) for v in values} - {""}
    return None if not names or names & WILDCARDS else names


def _box(header, shape: tuple[int, ...], instrument: str) -> tuple[int, int, int, int] | None:
    """0-based (y, x, ny, nx) on the full frame, from SUBSTRT/SUBSIZE or a full-frame shape."""
    if "SUBSTRT1" in header and "SUBSTRT2" in header:
        ny = shape[-2] if len(shape) >= 2 else int(header.get("SUBSIZE2", 0))
        nx = shape[-1] if len(shape) >= 2 else int(header.get("SUBSIZE1", 0))
        return int(header["SUBSTRT2"]) - 1, int(header["SUBSTRT1"]) - 1, ny, nx
    full = FULL_FRAME.get(instrument, _NIR_FULL)
    if len(shape) >= 2 and tuple(shape[-2:]) != full:
        return None  # not placed on the detector: the step would refuse it anyway
    return 0, 0, *full


@dataclass
class Candidate:
    """What the choice needs of one reference file, from its headers."""

    path: str
    header: object  # the primary header (astropy.io.fits.Header)
    useafter: datetime.datetime
    box: tuple[int, int, int, int] | None

    def describe(self) -> str:
        """``DETECTOR SUBARRAY from USEAFTER`` for messages."""
        h = self.header
        return f"{_text(h.get('DETECTOR'))} {_text(h.get('SUBARRAY')) or '-'} from {self.useafter:%Y-%m-%d}"


def _scan_file(path: str) -> Candidate | None:
    """Read (or recall) the headers of one file; None if it is no reference file."""
    from jwcal.io.reader import read_exposures

    try:
        stat = os.stat(path)
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _headers.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    candidate = None
    try:
        exposure = next(iter(read_exposures(path, headers_only=True)))
    except (DataError, StopIteration, OSError) as exc:
        log.info("%s: skipped in the reference directory (%s)", path, exc)
    else:
        header = exposure.peek_primary()
        reftype = _text(header.get("REFTYPE"))
        useafter = parse_date(header.get("USEAFTER"))
        if not reftype:
            log.info("%s: skipped in the reference directory (no REFTYPE)", path)
        elif useafter is None and header.get("USEAFTER") is not None:
            log.info("%s: skipped, USEAFTER %r is not a date", path, header.get("USEAFTER"))
        else:
            extension = exposure.get(DATA_EXTENSION.get(reftype, "SCI"))
            geometry = header if "SUBSTRT1" in header or extension is None else extension.peek_header()
            shape = extension.shape if extension is not None else ()
            candidate = Candidate(path, header, useafter or _OLDEST,
                                  _box(geometry, shape, _text(header.get("INSTRUME"))))
    _headers[path] = (stamp, candidate)
    return candidate


@dataclass
class ReferenceDirectory:
    """A directory of CRDS-layout reference files of one type; :meth:`for_exposure` picks one.

    Parameters
    ----------
    path : str
        The directory, searched recursively.
    reftype : str
        The CRDS type (``GAIN``, ``MASK``, ...), upper case.
    """

    path: str
    reftype: str
    candidates: list[Candidate] = field(default_factory=list)

    def __post_init__(self):
        self.reftype = self.reftype.upper()
        self._loaded: OrderedDict[str, Exposure] = OrderedDict()
        self._lock = threading.Lock()
        for root, dirs, files in os.walk(self.path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                match = _CRDS_NAME.match(name)
                if name.startswith(".") or not name.lower().endswith(".fits"):
                    continue
                if match and match.group(2).upper() != self.reftype:
                    continue  # a CRDS file of another type: its name says so
                found = _scan_file(os.path.join(root, name))
                if found is not None and _text(found.header.get("REFTYPE")) == self.reftype:
                    self.candidates.append(found)
        if not self.candidates:
            raise ReferenceFileError(f"{self.reftype} reference directory {self.path}: "
                                     f"no {self.reftype} file in it (REFTYPE keyword)")

    def choose(self, header, label: str) -> Candidate:
        """Return the best file for the exposure whose primary header is ``header``.

        Raises
        ------
        ReferenceFileError
            No file matches; the message names the exposure and what was looked for.
        """
        instrument = _text(header.get("INSTRUME"))
        rows = SELECTORS.get(self.reftype, {})
        keys = ["DETECTOR", *rows.get(instrument, rows.get("*", ()))]
        if instrument not in _NO_SUBARRAY.get(self.reftype, ()):
            keys.append("SUBARRAY")
        date = exposure_date(header)
        wanted = " ".join(f"{key}={_text(header.get(key)) or '?'}" for key in ["INSTRUME", *keys])
        if date is None:
            raise ReferenceFileError(f"{label}: no DATE-OBS or EXPSTART to choose the {self.reftype} "
                                     f"reference in {self.path} by USEAFTER")
        science_box = _box(header, (), instrument)
        ranked, near = [], []  # near: files of this detector that fail on something else
        for candidate in self.candidates:
            if _text(candidate.header.get("INSTRUME")) != instrument:
                continue
            specific = _specificity(candidate.header, header, keys)
            why = ("USEAFTER later" if candidate.useafter > date else
                   "other selectors" if specific is None else
                   "does not cover the pixels" if not _covers(candidate.box, science_box) else None)
            if why is None:
                ranked.append(((specific, candidate.useafter, os.path.basename(candidate.path)), candidate))
            elif _specificity(candidate.header, header, keys[:1]) is not None:
                near.append(f"{os.path.basename(candidate.path)}: {why}")
        if not ranked:
            have = near or sorted({c.describe() for c in self.candidates})
            listing = ", ".join(have[:4]) + (f", ... ({len(have)} in all)" if len(have) > 4 else "")
            which = f"files for {_text(header.get('DETECTOR'))}" if near else "it has"
            raise ReferenceFileError(
                f"{label}: no {self.reftype} reference in {self.path} for {wanted} with "
                f"USEAFTER <= {date:%Y-%m-%dT%H:%M:%S} ({which}: {listing})")
        return max(ranked, key=lambda item: item[0])[1]

    def for_exposure(self, header, label: str = "exposure") -> Exposure:
        """Return the chosen reference file, read once and reused while it stays among the last few."""
        path = self.choose(header, label).path
        with self._lock:
            if path in self._loaded:
                self._loaded.move_to_end(path)
                return self._loaded[path]
        from jwcal.io.reader import read_reference

        exposure = read_reference(path, self.reftype)
        log.info("%s: %s reference %s", label, self.reftype, path)
        with self._lock:
            self._loaded[path] = exposure
            while len(self._loaded) > _KEEP_LOADED:
                self._loaded.popitem(last=False)
        return exposure


def _specificity(reference, science, keys) -> int | None:
    """Count the selectors a reference names and matches; None if one of them does not match.

    A full-frame reference (SUBARRAY FULL) stands for every subarray: the steps cut it.
    """
    named = 0
    for key in keys:
        stated = _stated(reference, key)
        if stated is None:
            continue
        if _text(science.get(key)) in stated:
            named += 1
        elif not (key == "SUBARRAY" and "FULL" in stated):
            return None
    return named


def _covers(box, science_box) -> bool:
    """Tell whether a reference's box holds the exposure's (a reference not placed never does)."""
    if box is None:
        return False
    y, x, ny, nx = box
    sy, sx, sny, snx = science_box
    return y <= sy and x <= sx and sy + sny <= y + ny and sx + snx <= x + nx
