"""The ``jwcal`` click group: verbosity, version, error handling, and the explicit command list.

Commands are imported here, but each command module imports only click at module level and loads
numpy, astropy and numba inside the command body, so ``jwcal --help`` stays fast.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

import click

from jwcal import __version__
from jwcal.errors import JwcalError
from jwcal.errors import UsageError as JwcalUsageError

log = logging.getLogger("jwcal")


class _NoBlasProbe:
    """Meta-path finder that refuses ``scipy.linalg`` to numba's import-time BLAS probe only.

    ``numba.np.arraymath`` calls ``_check_blas()`` when it is imported, which imports
    ``scipy.linalg.cython_blas`` (~0.1 s: scipy.linalg, its array-API layer, numpy.f2py) just to
    decide whether ``np.correlate``/``np.convolve`` compiled by numba may call BLAS. jwcal's kernels
    use neither; ``np.dot``/``np.linalg`` in a kernel still work (numba imports BLAS again when it
    types them, from another frame, which this finder lets through). Anything else importing
    scipy.linalg is untouched.
    """

    _NAMES = frozenset(("scipy.linalg", "scipy.linalg.cython_blas"))

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        """Raise ImportError inside numba's ``_check_blas``; defer to the other finders otherwise."""
        if name in cls._NAMES:
            frame = sys._getframe(1)
            while frame is not None:
                code, module = frame.f_code.co_name, frame.f_globals.get("__name__")
                if code == "_check_blas" and module == "numba.np.arraymath":
                    raise ImportError("jwcal: numba's BLAS probe skipped")
                frame = frame.f_back
        return None


if not any(isinstance(finder, type) and finder.__name__ == "_NoBlasProbe" for finder in sys.meta_path):
    sys.meta_path.insert(0, _NoBlasProbe)


class _OneLineError(click.ClickException):
    """A data/runtime error: one line on stderr, exit 1."""

    def __init__(self, message: str, command: str):
        super().__init__(message)
        self.command = command

    def show(self, file=None):
        click.echo(f"jwcal {self.command}: error: {self.format_message()}", err=True)


class JwcalGroup(click.Group):
    """Turns jwcal's exceptions into exit codes: 1 for data errors, 2 for usage, quiet on EPIPE."""

    def invoke(self, ctx):
        """Run the subcommand, mapping jwcal's exceptions to click's exit codes."""
        try:
            return super().invoke(ctx)
        except JwcalUsageError as exc:
            raise click.UsageError(str(exc), ctx=ctx) from None
        except JwcalError as exc:
            raise _OneLineError(str(exc), ctx.invoked_subcommand or "") from None
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbosity", 0) > 0:
                raise
            raise _OneLineError(
                f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)",
                ctx.invoked_subcommand or "",
            ) from None


def _silence_stdout() -> None:
    """After the reader of our stdout went away, make the final flush at exit harmless."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def configure_logging(verbosity: int) -> None:
    """Send log records to stderr at WARNING, INFO (-v) or DEBUG (-vv); -q shows errors only."""
    level = max(logging.DEBUG, logging.WARNING - 10 * verbosity)
    handler: logging.Handler
    if sys.stderr is not None and sys.stderr.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(stderr=True), show_time=False, show_path=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("jwcal: %(levelname)s: %(message)s"))
    root = logging.getLogger("jwcal")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _terminate(signum, frame):
    # Raising lets the atomic writers remove their temp files before the process ends.
    raise SystemExit(128 + signum)


@click.group(cls=JwcalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
@click.option("-q", "--quiet", count=True, help="Less log output on stderr (errors only).")
@click.version_option(__version__, "--version", prog_name="jwcal")
@click.pass_context
def cli(ctx, verbose, quiet):
    """JWST imaging calibration as composable Unix filters.

    Each command reads FITS (a file or a stream of files on stdin) and writes FITS (a file with
    -o, or stdout when it is a pipe). Logs and progress go to stderr; stdout carries data only.

    \b
    Exit status: 0 success, 1 bad or unsupported data, 2 usage error.

    \b
    Example:
      jwcal cat a_uncal.fits b_uncal.fits | jwcal info
    """
    verbosity = verbose - quiet
    ctx.obj = {"verbosity": verbosity}
    configure_logging(verbosity)
    signal.signal(signal.SIGTERM, _terminate)


# One line per command module (jwcal/cli/<stem>.py, each defining ``command``), in help order.
# A group module (``@click.group`` named ``command``) lists its subcommand modules in
# ``SUBCOMMAND_MODULES`` and adds their ``command``s itself; see jwcal/cli/simulate.py.
COMMAND_MODULES = (
    "cat",
    "split",
    "info",
    "simulate",
    "dq_init",
    "refs",
    "fix_targ_coords",
    "resample",
    "outlier",
    "saturation",
    "jump",
    "superbias",
    "linearity",
    "dark",
    "refpix",
    "clean_1f",
    "fix_parallel_wcs",
    "ramp_fit",
    "fix_int_times",
    "preview",
    "tweakreg",
    "run",
)


def _register() -> None:
    import importlib

    for stem in COMMAND_MODULES:
        cli.add_command(importlib.import_module(f"jwcal.cli.{stem}").command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="jwcal")
