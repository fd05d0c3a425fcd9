"""Exception types and the exit codes they map to.

Every expected failure is a :class:`JwcalError`; the command line turns it into one line on
stderr and its ``exit_code``: 1 for bad or unsupported data, 2 for usage errors.
"""


class JwcalError(Exception):
    """Base of all expected jwcal failures (exit 1)."""

    exit_code = 1


class DataError(JwcalError):
    """The input data are bad: not FITS, truncated, wrong shape, NaN where none is allowed."""


class MissingExtensionError(DataError):
    """An HDU the step needs is absent."""


class ReferenceFileError(DataError):
    """A reference file is missing, malformed, or does not match the science data."""


class UnsupportedError(JwcalError):
    """The step cannot be applied to this input (e.g. jump on a 2-group ramp)."""


class UsageError(JwcalError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2
