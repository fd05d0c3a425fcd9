"""What every product jwcal writes records about its making: when (DATE) and by what (CAL_VER).

jwst sets DATE ("UTC date file created") when a model is saved and CAL_VER (the calibration
software's version) on every step's output. jwcal writes both as a file is written, for every
exposure whose primary header a step built or changed; exposures passed through untouched
(``cat``, ``split``, spools) keep their bytes. An inherited CAL_VCS is dropped: it names a
revision of the software that wrote the input, not of jwcal.
"""

from __future__ import annotations

import datetime
import weakref

from jwcal.exposure import HDU, Exposure
from jwcal.products import software_version

DATE_COMMENT = "UTC date file created"
CAL_VER_COMMENT = "Calibration Software Version"
# an exposure written twice (a file and a copy on stdout) gets the same DATE both times
_written: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def now_iso() -> str:
    """Return the current UTC time as jwst writes DATE (ISO, milliseconds, no zone)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def stamped(exposure: Exposure) -> Exposure:
    """Return ``exposure`` with DATE and CAL_VER set, or itself if its primary header is untouched.

    The input exposure is not modified (its primary header is copied). The same exposure written
    again gets the same DATE.
    """
    first = exposure.hdus[0]
    if first.header_bytes is not None:
        return exposure
    date = _written.setdefault(exposure, now_iso())
    header = first.peek_header().copy()
    if "DATE" in header:
        header["DATE"] = (date, DATE_COMMENT)
    else:  # first after the structural cards, where jwst writes it
        header.insert(0, ("DATE", date, DATE_COMMENT))
    header["CAL_VER"] = (software_version(), CAL_VER_COMMENT)
    header.remove("CAL_VCS", ignore_missing=True, remove_all=True)
    data = first.data if first.shape else None
    return Exposure([HDU(header=header, data=data, kind=first.kind), *exposure.hdus[1:]],
                    source=exposure.source)
