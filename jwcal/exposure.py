"""The in-memory exposure that steps receive and return.

An :class:`Exposure` is the list of HDUs of one FITS file (one JWST product), addressed by EXTNAME.
Image data are decoded lazily from the bytes that :mod:`jwcal.io` read, so commands that only look
at headers (``info``, ``split``) never touch the arrays, and HDUs a step does not change are written
back byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from jwcal.errors import MissingExtensionError

STEP_KEYWORDS = {
    "S_DQINIT": "dq_init",
    "S_SATURA": "saturation",
    "S_SUPERB": "superbias",
    "S_REFPIX": "refpix",
    "S_LINEAR": "linearity",
    "S_DARK": "dark_current",
    "S_JUMP": "jump",
    "S_RAMP": "ramp_fit",
    "S_FLAT": "flat_field",
    "S_PHOTOM": "photom",
    "S_TWKREG": "tweakreg",
    "S_OUTLIR": "outlier_detection",
    "S_RESAMP": "resample",
    "S_CLN1F": "clean_flicker_noise",
}


class HDU:
    """One header-data unit.

    Parameters
    ----------
    header : astropy.io.fits.Header or None
        The parsed header. Give ``header_bytes`` instead to parse it only when asked for.
    data : numpy.ndarray or None
        Image data (any shape) or a structured array for a binary table.
    kind : {"image", "table"}
        What the data section holds.
    header_bytes : bytes, optional
        The raw header as read, kept so an untouched header is written back unchanged.
    loader : callable, optional
        Returns the decoded data on first access of :attr:`data`.
    raw : bytes-like, optional
        The raw data section as read (unpadded); written back unchanged while :attr:`data` is untouched.
    """

    def __init__(self, header=None, data=None, *, kind="image", header_bytes=None, loader=None, raw=None):
        self._header = header
        self._peeked = None
        self.header_bytes = header_bytes
        self._data = data
        self._loader: Callable[[], Any] | None = loader
        self.raw = raw
        self.kind = kind
        self.deferred: Planes | None = None

    @classmethod
    def image(cls, name: str, data, header=None) -> HDU:
        """Return a new image HDU named ``name`` holding ``data``.

        ``data`` is an array, or :class:`Planes` for data made one 2-D plane at a time: a writer
        encodes such planes as they come, so a filter that maps its input plane by plane never holds
        a whole converted copy; reading :attr:`data` builds the full array.
        """
        from astropy.io import fits

        header = fits.Header() if header is None else header.copy()
        header["EXTNAME"] = name.upper()
        if isinstance(data, Planes):
            hdu = cls(header=header, kind="image", loader=data.stack)
            hdu.deferred = data
            return hdu
        return cls(header=header, data=data, kind="image")

    @property
    def header(self):
        """The header, parsed on first access; taking it marks it as possibly changed."""
        if self._header is None:
            self._header = self.peek_header()
            self.header_bytes = None
        return self._header

    def peek_header(self):
        """Return the parsed header without marking it as changed (do not modify it: copy it)."""
        if self._header is not None:
            return self._header
        if self._peeked is None:  # parsed once: names and labels are looked up many times per HDU
            from astropy.io import fits

            self._peeked = fits.Header.fromstring(bytes(self.header_bytes))
        return self._peeked

    @property
    def name(self) -> str:
        """EXTNAME, upper case; ``PRIMARY`` for the first HDU without one."""
        return str(self.peek_header().get("EXTNAME", "PRIMARY")).strip().upper()

    @property
    def data(self):
        """The data array, decoded on first access (None for an empty HDU)."""
        if self._data is None and self._loader is not None:
            self._data = self._loader()
            self._loader = None
            self.raw = None
            self.deferred = None
        return self._data

    @data.setter
    def data(self, value):
        self._data = value
        self._loader = None
        self.raw = None
        self.deferred = None

    @property
    def data_untouched(self) -> bool:
        """True while the raw bytes read from the input are still the truth."""
        return self.raw is not None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the data without decoding it (tables: number of rows)."""
        if self._data is not None:
            return tuple(self._data.shape)
        if self.deferred is not None:
            return self.deferred.shape
        header = self.peek_header()
        naxis = int(header.get("NAXIS", 0))
        if self.kind == "table":
            return (int(header.get("NAXIS2", 0)),)
        return tuple(int(header[f"NAXIS{k}"]) for k in range(naxis, 0, -1))

    def __repr__(self) -> str:
        return f"HDU({self.name!r}, kind={self.kind!r}, shape={self.shape})"


class Planes:
    """Image data defined plane by plane (give it to :meth:`HDU.image`).

    ``plane(k)`` returns plane ``k`` (C order over the leading axes of ``shape``) as an array of
    shape ``shape[-2:]``, of ``dtype`` or castable to it.
    """

    def __init__(self, shape: tuple[int, ...], dtype, plane: Callable[[int], Any]):
        import numpy as np

        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.plane = plane
        self.count = int(np.prod(shape[:-2], dtype=np.int64))

    def __iter__(self) -> Iterator[Any]:
        for k in range(self.count):
            plane = self.plane(k)
            if tuple(plane.shape) != self.shape[-2:]:  # a wrong size would corrupt the file silently
                raise ValueError(f"plane {k} has shape {plane.shape}, expected {self.shape[-2:]}")
            yield plane

    def stack(self):
        """Return the whole array."""
        import numpy as np

        out = np.empty(self.shape, self.dtype)
        flat = out.reshape(self.count, *self.shape[-2:])
        for k, plane in enumerate(self):
            flat[k] = plane
        return out


class Exposure:
    """The HDUs of one FITS file, in file order.

    Parameters
    ----------
    hdus : list of HDU
        The first is the primary HDU.
    source : str
        Where the exposure came from (a path, or ``<stdin>``), for messages.
    """

    def __init__(self, hdus: list[HDU], source: str = "<memory>"):
        if not hdus:
            raise ValueError("an exposure needs at least a primary HDU")
        self.hdus = list(hdus)
        self.source = source

    @property
    def primary(self):
        """The primary header."""
        return self.hdus[0].header

    def peek_primary(self):
        """Return the primary header without marking it as changed."""
        return self.hdus[0].peek_header()

    def names(self) -> list[str]:
        """EXTNAMEs in file order."""
        return [hdu.name for hdu in self.hdus]

    def __iter__(self) -> Iterator[HDU]:
        return iter(self.hdus)

    def __contains__(self, name: str) -> bool:
        return self._index(name) is not None

    def _index(self, name: str) -> int | None:
        name = name.upper()
        for i, hdu in enumerate(self.hdus):
            if hdu.name == name:
                return i
        return None

    def __getitem__(self, name: str) -> HDU:
        index = self._index(name)
        if index is None:
            raise MissingExtensionError(f"{self.label}: no {name.upper()} extension")
        return self.hdus[index]

    def get(self, name: str) -> HDU | None:
        """Return the HDU named ``name``, or None."""
        index = self._index(name)
        return None if index is None else self.hdus[index]

    def set(self, name: str, hdu: HDU, *, after: str | None = None) -> None:
        """Replace the HDU named ``name``, or insert it (after ``after``, else before tables)."""
        hdu.header["EXTNAME"] = name.upper()
        index = self._index(name)
        if index is not None:
            self.hdus[index] = hdu
            return
        anchor = self._index(after) if after else None
        if anchor is None:
            anchor = max((i for i, h in enumerate(self.hdus) if h.kind == "image"), default=0)
        self.hdus.insert(anchor + 1, hdu)

    def remove(self, name: str) -> None:
        """Drop the HDU named ``name`` if present."""
        index = self._index(name)
        if index is not None:
            del self.hdus[index]

    @property
    def label(self) -> str:
        """A short name for messages: FILENAME from the header, else the source."""
        return str(self.peek_primary().get("FILENAME") or self.source)

    def steps_run(self) -> dict[str, str]:
        """Map jwst step names to their status, from the S_* keywords of the primary header."""
        header = self.peek_primary()
        return {step: str(header[key]) for key, step in STEP_KEYWORDS.items() if key in header}
