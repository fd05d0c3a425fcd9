"""Generate roff man pages (``man/jwcal.1``, ``man/jwcal-<command>.1``) from the click commands.

Run ``python -m jwcal.cli.manpages man/`` (``make man``); a test fails when a committed page differs
from what this produces.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import click

from jwcal import __version__

_SEE_ALSO_LIMIT = 40


def _roff(text: str) -> str:
    """Escape text for roff: backslashes, and leading dots or quotes."""
    lines = []
    for line in text.replace("\\", "\\e").splitlines():
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def _paragraphs(help_text: str) -> str:
    out = []
    for block in inspect.cleandoc(click.unstyle(help_text or "")).split("\n\n"):
        block = block.strip("\n")
        if not block.strip():
            continue
        if block.startswith("\b"):
            out.append(".PP\n.nf\n" + _roff(block[1:].strip("\n")) + "\n.fi")
        else:
            out.append(".PP\n" + _roff(" ".join(line.strip() for line in block.splitlines())))
    return "\n".join(out)


def _options(command: click.Command, ctx: click.Context) -> str:
    out = []
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        out.append(f".TP\n\\fB{_roff(names)}\\fR\n{_roff(text)}")
    return "\n".join(out)


def render(command: click.Command, name: str, parent: click.Context | None = None,
           context: click.Context | None = None) -> str:
    """Return the man page of ``command`` invoked as ``name`` (e.g. ``jwcal cat``)."""
    ctx = context or click.Context(command, info_name=name.split()[-1], parent=parent)
    usage = " ".join(command.collect_usage_pieces(ctx))
    page = name.replace(" ", "-")
    sections = [
        f'.TH {page.upper()} 1 "" "jwcal {__version__}" "jwcal manual"',
        ".SH NAME",
        f"{page} \\- {_roff(command.get_short_help_str(limit=200))}",
        ".SH SYNOPSIS",
        f"\\fB{name}\\fR {_roff(usage)}",
        ".SH DESCRIPTION",
        _paragraphs(command.help or ""),
        ".SH OPTIONS",
        _options(command, ctx),
    ]
    if isinstance(command, click.Group):
        sections.append(".SH COMMANDS")
        for sub_name in sorted(command.commands):
            sub = command.commands[sub_name]
            sections.append(f".TP\n\\fB{sub_name}\\fR\n{_roff(sub.get_short_help_str(limit=200))}")
        sections.append(".SH EXIT STATUS\n0 success; 1 bad, truncated or unsupported data; 2 usage error.")
        see_also = ",\n".join(f"\\fB{page}-{n}\\fR(1)" for n in sorted(command.commands))
        sections.append(".SH SEE ALSO\n" + see_also)
    else:
        sections.append(".SH SEE ALSO\n\\fBjwcal\\fR(1)")
    return "\n".join(sections) + "\n"


def pages() -> dict[str, str]:
    """Return ``{file name: page text}`` for the group and every command."""
    from jwcal.cli.main import cli

    # the group's context settings (e.g. -h as a help option) reach subcommands as in a real run
    root = click.Context(cli, info_name="jwcal", **cli.context_settings)
    result = {"jwcal.1": render(cli, "jwcal", parent=None, context=root)}
    _add_pages(result, cli, "jwcal", root)
    return result


def _add_pages(result: dict[str, str], group: click.Group, prefix: str, parent: click.Context) -> None:
    """Add a page per subcommand of ``group``, recursing into nested groups (``jwcal simulate ramp``)."""
    for sub_name, sub in group.commands.items():
        name = f"{prefix} {sub_name}"
        result[f"{name.replace(' ', '-')}.1"] = render(sub, name, parent=parent)
        if isinstance(sub, click.Group):
            _add_pages(result, sub, name, click.Context(sub, info_name=sub_name, parent=parent))


def write(directory: str) -> list[Path]:
    """Write every page into ``directory``; remove stale ``jwcal*.1`` pages; return the paths written."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    current = pages()
    for old in target.glob("jwcal*.1"):
        if old.name not in current:
            old.unlink()
    written = []
    for file_name, text in current.items():
        path = target / file_name
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(sys.argv[1] if len(sys.argv) > 1 else "man"):
        print(path)
