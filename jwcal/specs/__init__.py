"""Declarations of the steps: one :class:`StepSpec` per step, in ``jwcal/specs/<stem>.py``.

A spec is plain data (standard library only, no numpy, no click), so the CLI can read every spec
at start-up and ``jwcal --help`` stays fast, and the steps layer can read its own spec to write
its HISTORY card. What is derived from it:

- the click options of ``jwcal <step>`` (:func:`jwcal.cli.options.step_options`);
- the HISTORY card of parameters each step writes (:meth:`StepSpec.history`);
- what ``jwcal run`` needs to know of a step (:func:`spec_for`: kind, suffix, status keyword,
  reference types).

``jwcal.steps.<stem>.run`` keeps its explicit keyword signature (it is the Python API);
``tests/test_architecture.py`` holds its names and defaults equal to the spec's.
See docs/decisions/0040-step-registry.md.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

#: A step that maps each exposure of a stream to one exposure (``run(exposure, **params)``).
FILTER = "filter"
#: A step over all exposures at once (``run(source, **params)``, ``source(headers_only)``).
MULTI = "multi"

#: The stems of every step with a spec, in pipeline order.
STEMS = ("dq_init", "saturation", "superbias", "refpix", "linearity", "dark", "jump", "ramp_fit",
         "clean_1f", "fix_targ_coords", "fix_parallel_wcs", "fix_int_times", "tweakreg", "outlier",
         "resample")


@dataclass(frozen=True)
class Param:
    """One parameter of a step: the keyword of ``run``, and the ``--option`` of its command.

    ``kind`` is one of ``float``, ``int`` (with optional ``min``/``max`` bounds, open or closed),
    ``bool`` (``--x/--no-x``), ``flag`` (``--x``, default False), ``choice``, ``floats`` (text with
    two numbers >= ``min``), ``threads`` (jwst's ``maximum_cores``), ``bits`` (jwst's
    ``good_bits``), ``fill`` (NaN, INDEF or a number), ``file``, ``dir`` or ``str``.
    ``record=False`` keeps it out of the HISTORY card (it does not change the result: threads,
    side outputs); ``when`` names bool parameters of which one must be true for it to be recorded
    (the snowball parameters only when snowballs are searched for).
    """

    name: str
    default: object
    help: str
    kind: str = "float"
    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    choices: tuple[str, ...] = ()
    nargs: int = 1
    multiple: bool = False
    metavar: str | None = None
    exists: bool = False
    show_default: bool = True
    record: bool = True
    when: tuple[str, ...] = ()

    @property
    def option(self) -> str:
        """The command-line option, ``--<name with dashes>``."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class Reference:
    """A reference file a step reads: the keyword of ``run`` and option, and its CRDS type."""

    name: str
    reftype: str
    required: bool = True


#: The parameter every step that can refuse input shares (``--skip-unsupported``).
SKIP_UNSUPPORTED = Param(
    "skip_unsupported", False,
    "Pass input the step cannot process through unchanged, recording the step as SKIPPED, "
    "instead of failing with exit 1.", kind="flag", record=False)


@dataclass(frozen=True)
class StepSpec:
    """The declaration of a step.

    Attributes
    ----------
    name : str
        The command name (``ramp-fit``); the stem is the name with underscores.
    kind : str
        :data:`FILTER` or :data:`MULTI`.
    status_keyword : str
        The primary-header keyword set to COMPLETE or SKIPPED (``S_JUMP``).
    suffix : str or None
        The product suffix of its output (``rate``), None when the step keeps the product level
        (and suffix) of its input, as the header fixes and clean-1f do.
    params : tuple of Param
        In the order of the command's help.
    references : tuple of Reference
    """

    name: str
    kind: str
    status_keyword: str
    suffix: str | None
    params: tuple[Param, ...] = ()
    references: tuple[Reference, ...] = field(default=())

    @property
    def stem(self) -> str:
        """The module stem (``ramp_fit``)."""
        return self.name.replace("-", "_")

    @property
    def multi_exposure(self) -> bool:
        """True for steps over all exposures at once (tweakreg, outlier, resample)."""
        return self.kind == MULTI

    @property
    def reference_types(self) -> tuple[str, ...]:
        """The CRDS types of the reference files (``("GAIN", "READNOISE")``)."""
        return tuple(ref.reftype for ref in self.references)

    def defaults(self) -> dict[str, object]:
        """``{parameter: default}`` of every parameter (references excluded)."""
        return {param.name: param.default for param in self.params}

    def history(self, values: dict) -> str | None:
        """Return the HISTORY card ``jwcal <name>: k=v k=v ...`` of the recorded parameters.

        ``values`` maps parameter names to the values the step ran with; None when the step has
        no recorded parameter.
        """
        words = [f"{param.name}={_text(values[param.name])}" for param in self.params
                 if param.record and (not param.when or any(values[name] for name in param.when))]
        return f"jwcal {self.name}: {' '.join(words)}" if words else None


def _text(value) -> str:
    """Return a value as HISTORY shows it: text with spaces quoted, so the card splits into k=v words."""
    if isinstance(value, str) and (not value or any(c.isspace() for c in value)):
        return repr(value)
    return str(value)


def spec_for(command_name: str) -> StepSpec:
    """Return the spec of a step command (``"ramp-fit"`` or ``"ramp_fit"``); KeyError if none."""
    stem = command_name.replace("-", "_")
    if stem not in STEMS:
        raise KeyError(f"no step named {command_name!r}")
    return importlib.import_module(f"jwcal.specs.{stem}").SPEC


def all_specs() -> tuple[StepSpec, ...]:
    """Every step's spec, in :data:`STEMS` order."""
    return tuple(spec_for(stem) for stem in STEMS)
