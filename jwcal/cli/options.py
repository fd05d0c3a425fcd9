"""Shared click options, arguments and option types.

=====================  ==============================================  ==========================
name                   meaning                                         used by
=====================  ==============================================  ==========================
``source_arg``         input path, ``-`` (default) for stdin           every single-input filter
``sources_arg``        input paths (``-`` for stdin)                   cat
``output_opt``         ``-o PATH``; ``-`` (default) for stdout         every filter
``overwrite_opt``      replace an existing output file                 every command that writes
``skip_unsupported``   pass unsupported input through, S_x=SKIPPED     steps that can refuse input
``step_options``       the references and parameters of a StepSpec     every step command
=====================  ==============================================  ==========================

The parameters the I/O options carry (``source``, ``sources``, ``output``, ``overwrite``) belong to
the command, not to the step; every other option of a step command is declared once, in
``jwcal/specs/<step>.py``, and maps 1:1 onto a keyword parameter of ``jwcal.steps.<step>.run``
with the same default (tested in ``tests/test_architecture.py``).

Option types: every number option uses :class:`FloatRange` (or :data:`FINITE`) and
:class:`IntRange` from here, never ``float``/``click.FloatRange``, because click's float types
accept ``nan`` and ``inf`` -- and a NaN threshold silently switches a feature off. Options whose
text a step parses later (``--snr "5.0 4.0"``, ``--good-bits``, ``--maximum-cores``, ``--fillval``)
are checked here too, at parse time, and passed on as the text the user gave. Every bad value is a
usage error (exit 2) of one line naming the option.
"""

from __future__ import annotations

import math

import click

from jwcal import dq
from jwcal.specs import SKIP_UNSUPPORTED

IO_PARAMETERS = frozenset({"source", "sources", "output", "overwrite"})


class OptionValueError(click.BadParameter):
    """A bad option value: exit 2 with one line on stderr that names the command and the option."""

    def show(self, file=None):
        """Print ``jwcal <cmd>: error: Invalid value for '--opt': ...`` (no usage block)."""
        command = self.ctx.command_path if self.ctx is not None else "jwcal"
        click.echo(f"{command}: error: {self.format_message()}", err=True)


class _OneLine:
    """Mixin: a parameter type whose failures are :class:`OptionValueError`."""

    def fail(self, message, param=None, ctx=None):
        """Raise :class:`OptionValueError` (one line, exit 2)."""
        raise OptionValueError(message, ctx=ctx, param=param)


class FloatRange(_OneLine, click.FloatRange):
    """A finite float, optionally in a range: NaN and +-inf are refused (click's FloatRange takes them).

    Without bounds it is shown as ``FLOAT`` in the help, like click's plain float.
    """

    def __init__(self, min=None, max=None, min_open=False, max_open=False):
        super().__init__(min, max, min_open=min_open, max_open=max_open)
        if min is None and max is None:
            self.name = "float"

    def convert(self, value, param, ctx):
        """Return the float; fail on text that is not a number, NaN, infinities and out-of-range values."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number.", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)

    def _describe_range(self):
        return "" if self.min is None and self.max is None else super()._describe_range()


class IntRange(_OneLine, click.IntRange):
    """An integer, optionally in a range, whose bad values are one-line usage errors."""

    def __init__(self, min=None, max=None, min_open=False, max_open=False):
        super().__init__(min, max, min_open=min_open, max_open=max_open)
        if min is None and max is None:
            self.name = "integer"

    def convert(self, value, param, ctx):
        """Return the integer; fail on text that is not a whole number and on out-of-range values."""
        if not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                self.fail(f"{value!r} is not a whole number.", param, ctx)
        return super().convert(value, param, ctx)

    def _describe_range(self):
        return "" if self.min is None and self.max is None else super()._describe_range()


#: Any finite float (the replacement for ``type=float``).
FINITE = FloatRange()


class FloatList(_OneLine, click.ParamType):
    """Text holding ``count`` finite numbers (jwst's ``"5.0 4.0"``), checked and passed on unchanged."""

    name = "floats"

    def __init__(self, count: int, min=None, min_open=False):
        self.count = count
        self.each = FloatRange(min=min, min_open=min_open)

    def convert(self, value, param, ctx):
        """Return ``value`` unchanged once it holds ``count`` valid numbers (spaces or commas between)."""
        if not isinstance(value, str):
            return value
        words = value.replace(",", " ").split()
        if len(words) != self.count:
            self.fail(f"{value!r} must hold {self.count} numbers, such as '5.0 4.0'.", param, ctx)
        for word in words:
            try:
                self.each.convert(word, param, ctx)
            except OptionValueError as exc:
                self.fail(f"{value!r}: {exc.message}", param, ctx)
        return value


class Threads(_OneLine, click.ParamType):
    """jwst's ``maximum_cores``: a whole number >= 1, ``none``, ``quarter``, ``half`` or ``all``."""

    name = "threads"
    WORDS = ("none", "one", "quarter", "half", "all")

    def convert(self, value, param, ctx):
        """Return ``value`` unchanged if it is one of the accepted forms."""
        text = str(value).strip().lower()
        if text in self.WORDS or (text.isdigit() and int(text) >= 1):
            return value
        self.fail(f"{value!r} is not a whole number >= 1, 'none', 'quarter', 'half' or 'all'.", param, ctx)


class DQBits(_OneLine, click.ParamType):
    """jwst's ``good_bits`` notation (``~DO_NOT_USE+NON_SCIENCE``, ``4+16``, ``None``), checked by name."""

    name = "bits"

    def convert(self, value, param, ctx):
        """Return ``value`` unchanged if every term is a number or a DQ flag name."""
        text = str(value).strip()
        if text.upper() in ("", "NONE"):
            return value
        for term in text.replace(",", "+").replace("|", "+").lstrip("~").split("+"):
            term = term.strip()
            if term and not term.lstrip("-").isdigit() and term.upper() not in dq.PIXEL:
                self.fail(f"{value!r}: unknown DQ flag {term!r}.", param, ctx)
        return value


class FillValue(_OneLine, click.ParamType):
    """A drizzle fill value: ``NaN``, ``INDEF`` (0) or a finite number, passed on as text."""

    name = "fill"

    def convert(self, value, param, ctx):
        """Return ``value`` unchanged if it is NaN, INDEF, None or a finite number."""
        text = str(value).strip().upper()
        if text in ("NAN", "NONE", "INDEF"):
            return value
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            self.fail(f"{value!r} is not NaN, INDEF or a finite number.", param, ctx)
        return value


source_arg = click.argument("source", metavar="[IN]", default="-", required=False,
                            type=click.Path(allow_dash=True, dir_okay=False))
sources_arg = click.argument("sources", metavar="[IN]...", nargs=-1,
                             type=click.Path(allow_dash=True, dir_okay=False))
output_opt = click.option("-o", "--output", default="-", show_default=True, metavar="PATH",
                          type=click.Path(allow_dash=True, dir_okay=False),
                          help="Output file; '-' writes to stdout, which must not be a terminal.")
overwrite_opt = click.option("--overwrite", is_flag=True, help="Replace an existing output file.")


def spec_option(param):
    """Return the click option declared by a :class:`jwcal.specs.Param`."""
    flag = param.option
    if param.kind == "bool":
        return click.option(f"{flag}/--no-{flag[2:]}", param.name, default=param.default,
                            show_default=param.show_default, help=param.help)
    if param.kind == "flag":
        return click.option(flag, param.name, is_flag=True, help=param.help)
    extra = {"metavar": param.metavar} if param.metavar else {}
    if param.nargs != 1:
        extra["nargs"] = param.nargs
    if param.multiple:
        extra["multiple"] = True
    return click.option(flag, param.name, type=_type_of(param), default=param.default,
                        show_default=param.show_default if param.default is not None else False,
                        help=param.help, **extra)


skip_unsupported_opt = spec_option(SKIP_UNSUPPORTED)


def reference_opt(name: str, reftype: str, required: bool = True):
    """Return a ``--<name> PATH`` option for a CRDS-format reference file (or directory) of ``reftype``."""
    return click.option(f"--{name}", required=required, metavar="PATH",
                        type=click.Path(dir_okay=True),
                        help=f"{reftype} reference file (CRDS format), or a directory of them (e.g. a "
                        "jwcal refs cache): each exposure gets the best match by DETECTOR, SUBARRAY, "
                        "READPATT and USEAFTER.")


def _type_of(param):
    """Return the click type of a :class:`jwcal.specs.Param`."""
    kind = param.kind
    if kind == "float":
        return FloatRange(param.min, param.max, param.min_open, param.max_open)
    if kind == "int":
        return IntRange(param.min, param.max, param.min_open, param.max_open)
    if kind == "choice":
        return click.Choice(param.choices)
    if kind == "floats":
        return FloatList(2, min=param.min, min_open=param.min_open)
    if kind == "file":
        return click.Path(dir_okay=False, exists=param.exists)
    if kind == "dir":
        return click.Path(file_okay=False, exists=param.exists)
    return {"threads": Threads(), "bits": DQBits(), "fill": FillValue(), "str": click.STRING}[kind]


def step_options(spec):
    """Decorate a command with the reference options, then the parameter options, of ``spec``."""
    decorators = [reference_opt(ref.name, ref.reftype, ref.required) for ref in spec.references]
    decorators.extend(spec_option(param) for param in spec.params)

    def decorate(function):
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


def read_references(spec, params: dict) -> dict:
    """Pop the reference paths of ``spec`` from the command's ``params`` and read them.

    Returns ``{keyword: Exposure or None}`` for ``jwcal.steps.<step>.run``.
    """
    from jwcal.io import read_reference

    references = {}
    for ref in spec.references:
        path = params.pop(ref.name)
        references[ref.name] = None if path is None else read_reference(path, ref.reftype)
    return references
