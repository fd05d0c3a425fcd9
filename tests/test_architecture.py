"""Import direction between the layers, and the option <-> spec <-> step-parameter parity of every command."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import jwcal
from jwcal.cli.main import COMMAND_MODULES, cli
from jwcal.cli.options import IO_PARAMETERS
from jwcal.specs import STEMS, spec_for

PACKAGE = Path(jwcal.__file__).parent

# What each layer may import (top-level package names, or jwcal submodules by prefix).
ALLOWED = {
    "algorithms": {"numpy", "numba", "scipy", "math", "jwcal.dq", "jwcal.algorithms", "jwcal.methods"},
    "steps": {"numpy", "scipy", "astropy", "jwcal.algorithms", "jwcal.steps", "jwcal.exposure",
              "jwcal.dq", "jwcal.errors", "jwcal.methods", "jwcal.products", "jwcal.specs", "jwcal.units"},
    # Declarations read at CLI start-up: the standard library only.
    "specs": {"jwcal.specs", "jwcal.methods"},
    "io": {"numpy", "astropy", "fitsio", "jwcal.io", "jwcal.exposure", "jwcal.errors", "jwcal.products"},
}
HEAVY = {"numpy", "astropy", "numba", "scipy", "fitsio", "rich"}


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "jwcal":
            for alias in node.names:  # ``from jwcal import dq`` imports jwcal.dq
                yield node, f"jwcal.{alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, node.module


def _allowed(module: str, allowed: set[str]) -> bool:
    if not module.startswith("jwcal") and module.split(".")[0] not in {
        "numpy", "numba", "scipy", "astropy", "fitsio", "click", "rich"
    }:
        return True  # the standard library
    return any(module == a or module.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer):
    offences = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} imports {module}"
        for path in sorted((PACKAGE / layer).glob("*.py"))
        for node, module in _imports(path)
        if not _allowed(module, ALLOWED[layer])
    ]
    assert offences == []


def test_cli_modules_import_heavy_packages_only_inside_functions():
    offences = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    top = name.split(".")[0]
                    if top in HEAVY or name.startswith(("jwcal.io", "jwcal.steps", "jwcal.algorithms")):
                        offences.append(f"{path.name}:{node.lineno} imports {name} at module level")
    assert offences == []


def _registered_modules():
    """Registered command modules, with the subcommand modules of groups (``SUBCOMMAND_MODULES``)."""
    stems = []
    for stem in COMMAND_MODULES:
        stems.append(stem)
        stems.extend(getattr(importlib.import_module(f"jwcal.cli.{stem}"), "SUBCOMMAND_MODULES", ()))
    return stems


def test_every_command_module_is_registered():
    modules = {p.stem for p in (PACKAGE / "cli").glob("*.py")
               if any(isinstance(node, ast.FunctionDef) and node.name == "command"
                      for node in ast.parse(p.read_text()).body)}
    assert modules == set(_registered_modules())


def _step_commands():
    for stem in _registered_modules():
        try:
            step = importlib.import_module(f"jwcal.steps.{stem}")
        except ModuleNotFoundError:
            continue
        if hasattr(step, "run"):
            yield stem, step


@pytest.mark.parametrize(("stem", "step"), list(_step_commands()))
def test_options_map_one_to_one_onto_step_parameters(stem, step):
    command = importlib.import_module(f"jwcal.cli.{stem}").command
    options = {p.name for p in command.params} - IO_PARAMETERS
    signature = inspect.signature(step.run)
    keyword_only = {n for n, p in signature.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert options == keyword_only


def _command_values(command, spec) -> dict:
    """The values the command passes on when only its required references are given."""
    args = [word for ref in spec.references if ref.required for word in (f"--{ref.name}", "ref.fits")]
    with command.make_context(command.name, args) as ctx:
        return {name: value for name, value in ctx.params.items() if name not in IO_PARAMETERS}


@pytest.mark.parametrize("stem", STEMS)
def test_spec_command_and_step_agree_on_names_and_defaults(stem):
    spec = spec_for(stem)
    command = importlib.import_module(f"jwcal.cli.{stem}").command
    run = importlib.import_module(f"jwcal.steps.{stem}").run
    assert (spec.name, spec.stem) == (command.name, stem)
    step = {n: p.default for n, p in inspect.signature(run).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}
    # References: a path option (None when not given) for a keyword the step requires or defaults to None.
    references = {ref.name for ref in spec.references}
    assert all(step[name] in (inspect.Parameter.empty, None) for name in references)
    parameters = {name: default for name, default in step.items() if name not in references}
    assert parameters == spec.defaults()
    values = _command_values(command, spec)
    assert {name: values.pop(name) for name in references} == {
        ref.name: "ref.fits" if ref.required else None for ref in spec.references}
    assert values == spec.defaults()


@pytest.mark.parametrize("stem", STEMS)
def test_step_commands_declare_their_options_only_through_the_spec(stem):
    """No option of a step command is spelled outside its spec (the I/O options excepted)."""
    source = (PACKAGE / "cli" / f"{stem}.py").read_text()
    assert "@options.step_options(SPEC)" in source
    declared = {arg.value.split("/")[0] for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Call) and ast.unparse(node.func) == "click.option"
                for arg in node.args if isinstance(arg, ast.Constant)}
    assert declared <= {"-o", "--output"}


def test_io_layer_is_independent_of_steps_and_cli():
    for path in (PACKAGE / "io").glob("*.py"):
        for _, module in _imports(path):
            assert not module.startswith(("jwcal.steps", "jwcal.algorithms", "jwcal.cli")), path


def test_group_help_lists_every_registered_command():
    assert set(cli.commands) >= {"cat", "split", "info"}


def test_no_step_imports_another_step():
    # Steps share code through helper modules named for what they hold (stage3_inputs, fits_wcs,
    # mosaic_grid, ramp_layout, ...), never through another step's module (issue 20).
    steps = {path.stem for path in (PACKAGE / "steps").glob("*.py")} & (
        set(STEMS) | {"preview", "simulate_images", "simulate_ramp"})

    def imported_steps(path):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "jwcal.steps":
                names = [alias.name for alias in node.names]  # from jwcal.steps import resample
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("jwcal.steps."):
                names = [node.module.split(".")[2]]
            elif isinstance(node, ast.Import):
                names = [a.name.split(".")[2] for a in node.names if a.name.startswith("jwcal.steps.")]
            else:
                continue
            yield from ((node.lineno, name) for name in names if name in steps - {path.stem})

    offences = [f"steps/{path.name}:{line} imports steps/{name}.py"
                for path in sorted((PACKAGE / "steps").glob("*.py")) if path.stem in steps
                for line, name in imported_steps(path)]
    assert offences == []
