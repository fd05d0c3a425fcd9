"""``jwcal simulate``: realistic JWST-like data with known truth, for the demo, tests and benchmarks."""

from __future__ import annotations

import importlib

import click

# Subcommand modules (jwcal/cli/<stem>.py, each defining ``command``), steps in jwcal/steps/<stem>.py.
SUBCOMMAND_MODULES = ("simulate_ramp", "simulate_images")


@click.group("simulate")
def command():
    """Write simulated JWST exposures, matching reference files and truth.

    Everything is deterministic for a given --seed, written in the STScI file layouts, and
    comes with truth files (true rates, injected cosmic rays, true WCS, star lists) that the
    tests and benchmarks compare calibrated results against.
    """


for _stem in SUBCOMMAND_MODULES:
    command.add_command(importlib.import_module(f"jwcal.cli.{_stem}").command)
