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

from jwcal import __version__, _startup
from jwcal.cli import startup
from jwcal.errors import JwcalError
from jwcal.errors import UsageError as JwcalUsageError

log = logging.getLogger("jwcal")


_startup.install()  # numba's import-time BLAS probe skipped (see jwcal/_startup.py)
startup.install()  # astropy.io.fits without astropy.units (see jwcal/cli/startup.py)


class _OneLineError(click.ClickException):
    """A data/runtime error: one line on stderr, exit 1."""

    def __init__(self, message: str, command: str):
        # ``command`` is the command path, e.g. "jwcal simulate ramp"
        super().__init__(" ".join(str(message).split()))  # an expected error is one line
        self.command = command

    def show(self, file=None):
        click.echo(f"{self.command}: error: {self.format_message()}", err=True)


class JwcalGroup(click.Group):
    """Turns jwcal's exceptions into exit codes: 1 for data errors, 2 for usage, quiet on EPIPE.

    Usage errors show the usage of the command that raised them; errors of the system (disk full,
    read-only directory, permission denied, out of memory) say what happened on one line. Python
    warnings (numpy, astropy) are debug log records, shown with -vv only.
    """

    def invoke(self, ctx):
        """Run the subcommand, mapping jwcal's exceptions to click's exit codes."""
        try:
            with _warnings_to_log():
                return super().invoke(ctx)
        except JwcalUsageError as exc:
            raise click.UsageError(str(exc), ctx=_command_context(exc, ctx)) from None
        except JwcalError as exc:
            raise _OneLineError(str(exc), _command_name(_command_context(exc, ctx))) from None
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except click.UsageError as exc:
            if exc.ctx is None:  # raised by a command's body without a context: show the command's usage
                exc.ctx = _command_context(exc, ctx)
            raise
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except (OSError, MemoryError) as exc:
            if ctx.obj and ctx.obj.get("verbosity", 0) > 0:
                raise
            command = _command_name(_command_context(exc, ctx))
            raise _OneLineError(system_error_message(exc), command) from None
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbosity", 0) > 0:
                raise
            raise _OneLineError(
                f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)",
                _command_name(_command_context(exc, ctx)),
            ) from None


#: What an OSError of the system means for the user (errno name -> explanation).
_SYSTEM_ERRORS = {
    "ENOSPC": "no space left on the device (disk full)",
    "EDQUOT": "disk quota exceeded",
    "EFBIG": "file too large for the file system",
    "EROFS": "read-only file system",
    "EACCES": "permission denied",
    "EPERM": "operation not permitted",
    "EIO": "input/output error of the device",
    "EMFILE": "too many open files",
    "ENFILE": "too many open files in the system",
    "ENOMEM": "out of memory",
}


def system_error_message(exc: BaseException) -> str:
    """Return one line saying what an OSError/MemoryError means, naming the file when known."""
    import errno
    import re

    if isinstance(exc, MemoryError):
        return "out of memory (try a smaller input, or free memory)"
    code = getattr(exc, "errno", None)
    name = errno.errorcode.get(code, "") if code is not None else ""
    what = _SYSTEM_ERRORS.get(name) or getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    filename = getattr(exc, "filename", None)
    if filename:  # an atomic writer's temp file (.NAME.XXXX.part) is reported as the file it becomes
        head, tail = os.path.split(str(filename))
        match = re.fullmatch(r"\.(.+)\.[^.]+\.part", tail)
        filename = os.path.join(head, match.group(1)) if match else filename
    return f"{filename}: {what}" if filename else what


def _command_name(ctx: click.Context) -> str:
    """Return "jwcal <command> [<subcommand>]" for messages, whatever the program was called."""
    names = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["jwcal", *reversed(names)])


def _command_context(exc: BaseException, default: click.Context) -> click.Context:
    """Return the context of the innermost command that was running when ``exc`` was raised.

    click pops a subcommand's context before the exception reaches the group, so the frames of the
    traceback are searched for the last ``ctx`` local that is a click context (the command's own).
    """
    found = default
    tb = exc.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("ctx")
        if isinstance(candidate, click.Context) and not isinstance(candidate.command, click.Group):
            found = candidate
        tb = tb.tb_next
    if found is default and default.invoked_subcommand:
        command = default.command.get_command(default, default.invoked_subcommand) \
            if isinstance(default.command, click.Group) else None
        if command is not None and not isinstance(command, click.Group):
            found = click.Context(command, info_name=default.invoked_subcommand, parent=default)
    return found


class _warnings_to_log:  # noqa: N801 - used as a context manager, like contextlib's lower-case ones
    """Route Python warnings (numpy RuntimeWarnings, astropy's FITS/WCS warnings) to debug logs.

    ``warnings._showwarnmsg`` is the one function every shown warning goes through, also when a
    library (astropy's logger) has replaced ``warnings.showwarning``; it is restored afterwards.
    """

    def __enter__(self):
        import warnings

        self._saved = warnings._showwarnmsg
        warnings._showwarnmsg = _log_warning
        return self

    def __exit__(self, *exc):
        import warnings

        warnings._showwarnmsg = self._saved
        return False


def _log_warning(message) -> None:
    log.debug("%s: %s (%s:%s)", message.category.__name__, message.message, message.filename, message.lineno)


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
    Examples:
      jwcal cat a_uncal.fits b_uncal.fits | jwcal info
      set -o pipefail    # in chains: the chain fails when any command fails
      jwcal cat *_uncal.fits | jwcal dq-init --mask m.fits | jwcal split -o ramps/
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
    try:
        cli.main(prog_name="jwcal")
    except SystemExit as exc:
        _end_process(exc.code)
    _end_process(0)


def _end_process(code) -> None:
    """Leave like ``sys.exit(code)``, without tearing the interpreter down.

    With numba, llvmlite and astropy loaded, the interpreter's finalization (module teardown,
    freeing every object) takes ~0.13 s after the work is done (docs/performance-stage1.md). The
    outputs are complete by then (atomic writers have renamed their files), so the atexit handlers
    run, the standard streams are flushed and the process ends with ``os._exit``. While another
    non-daemon thread still runs, the ordinary exit (which waits for it) is kept.
    """
    import threading

    main_thread = threading.main_thread()
    if any(t is not main_thread and t.is_alive() and not t.daemon for t in threading.enumerate()):
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        code = 1
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe ends quietly, as at an ordinary exit
            pass
    os._exit(code)
