"""The text of a jwcal shell pipe -> stages, each parsed by its own click command.

``'dq-init --mask m.fits | jwcal jump --gain g.fits --readnoise r.fits | ramp-fit ...'`` is split
on unquoted ``|`` with shell quoting rules (:mod:`shlex`); a leading ``jwcal`` on a stage is
dropped. A pipeline file (``jwcal run -f FILE``) may hold ``#`` comments and backslash line
continuations, and newlines inside it are spaces, so a long pipe can be written one stage per line.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass

import click

from jwcal.errors import DataError, UsageError

#: Commands that cannot be stages: they read or write bytes or text, not exposures, or run alone.
NOT_A_STAGE = {"cat": "give the files as the inputs of jwcal run instead",
               "run": "pipelines do not nest", "simulate": "it writes files, it is not a filter",
               "refs": "it fetches files, it is not a filter", "preview": "it writes PNG, not FITS",
               "info": "it prints text; pipe jwcal run into jwcal info instead"}

@dataclass(frozen=True)
class Stage:
    """One command of the pipe: its name, its arguments and the click context parsed from them."""

    index: int
    name: str
    args: tuple[str, ...]

    @property
    def label(self) -> str:
        """``stage 2 (jump)``, for messages."""
        return f"stage {self.index + 1} ({self.name})"


@dataclass(frozen=True)
class Pipeline:
    """A parsed pipeline; ``digest`` identifies its canonical text (recorded in batch outputs)."""

    stages: tuple[Stage, ...]

    @property
    def text(self) -> str:
        """The canonical text: each stage re-quoted, joined by `` | ``."""
        return " | ".join(shlex.join((stage.name, *stage.args)) for stage in self.stages)

    @property
    def digest(self) -> str:
        """16 hex digits of the SHA-256 of :attr:`text`."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    @property
    def suffix(self) -> str | None:
        """The product suffix of the last stage that sets one (None: the input's own)."""
        for stage in reversed(self.stages):
            suffix = _spec(stage.name).suffix if _spec(stage.name) else None
            if suffix:
                return suffix
        return None

    @property
    def multi_exposure(self) -> bool:
        """Whether a stage combines exposures (tweakreg, outlier, resample)."""
        return any(_spec(stage.name) is not None and _spec(stage.name).multi_exposure
                   for stage in self.stages)


def _spec(name: str):
    """Return the step declaration of a command, or None for a command that is no step (split)."""
    from jwcal.specs import spec_for

    try:
        return spec_for(name)
    except KeyError:
        return None


def read_pipeline_file(path: str) -> str:
    """Return the pipeline text of a file: comments dropped, continuations and newlines joined."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = handle.read()
    except OSError as exc:
        raise DataError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text file") from None
    return re.sub(r"\\\r?\n", " ", raw)


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError as exc:  # no closing quotation, ...
        raise UsageError(f"pipeline: {exc}") from None


def split_stages(text: str) -> list[list[str]]:
    """Return the argument lists of the stages of ``text`` (``jwcal`` prefixes dropped)."""
    stages, current = [], []
    for token in [*_tokens(text), "|"]:
        if token == "|":
            if not current:
                raise UsageError("pipeline: empty stage (two '|' in a row, or '|' at an end)")
            stages.append(current)
            current = []
        elif set(token) == {"|"}:
            raise UsageError(f"pipeline: {token!r} is not a pipe")
        else:
            current.append(token)
    for args in stages:
        if args[0] == "jwcal":
            del args[0]
            if not args:
                raise UsageError("pipeline: a stage is only 'jwcal'")
            if args[0].startswith("-"):
                raise UsageError(f"pipeline: {args[0]}: options of jwcal itself go before 'run', "
                                 "not inside a stage")
    return stages


def with_references(name: str, args: list[str], refs: str) -> list[str]:
    """Return ``args`` with ``--<reference> refs`` for every required reference option not given."""
    spec = _spec(name)
    if spec is None:
        return args
    given = {arg.split("=", 1)[0] for arg in args if arg.startswith("--")}
    extra = []
    for ref in spec.references:
        if ref.required and f"--{ref.name}" not in given:
            extra += [f"--{ref.name}", refs]
    return [*args, *extra]


def parse_pipeline(text: str, *, refs: str | None = None) -> Pipeline:
    """Parse ``text`` into a :class:`Pipeline`; every stage's options are checked by its command.

    ``refs``, a directory of reference files, is given to every required reference option that a
    stage does not set itself (each exposure then gets the best file of that directory).

    Raises
    ------
    UsageError
        An empty pipeline, an unknown command or one that cannot be a stage, or a bad option of a
        stage (the message names the stage).
    """
    if not text.strip():
        raise UsageError("pipeline: empty")
    stages = []
    for index, args in enumerate(split_stages(text)):
        rest = args[1:] if refs is None else with_references(args[0], args[1:], refs)
        stage = Stage(index, args[0], tuple(rest))
        make_context(stage, None)  # every stage's options checked before anything runs
        stages.append(stage)
    return Pipeline(tuple(stages))


def command_for(stage: Stage) -> click.Command:
    """Return the click command of ``stage``, or raise UsageError naming the stage."""
    from jwcal.cli.main import cli

    if stage.name in NOT_A_STAGE:
        why = NOT_A_STAGE[stage.name]
        raise UsageError(f"pipeline {stage.label}: {stage.name} cannot be a stage ({why})")
    command = cli.commands.get(stage.name)
    if command is None:
        import difflib

        close = difflib.get_close_matches(stage.name, list(cli.commands), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"pipeline {stage.label}: no such command {stage.name!r}{hint}")
    return command


def make_context(stage: Stage, parent: click.Context | None) -> click.Context:
    """Parse ``stage``'s arguments with its command; a bad option is a UsageError naming the stage."""
    command = command_for(stage)
    try:
        return command.make_context(f"jwcal {stage.name}", list(stage.args), parent=parent)
    except click.exceptions.Exit as exc:  # --help inside a stage
        raise UsageError(f"pipeline {stage.label}: --help inside a pipeline; run "
                         f"'jwcal {stage.name} --help'") from exc
    except click.ClickException as exc:
        raise UsageError(f"pipeline {stage.label}: {exc.format_message()}") from None
