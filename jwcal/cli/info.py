"""``jwcal info``: one line per exposure of a stream."""

from __future__ import annotations

import json

import click

from jwcal.cli import options

_DTYPES = {8: "u8", 16: "i16", 32: "i32", 64: "i64", -32: "f32", -64: "f64"}
_UNSIGNED = {(16, 32768): "u16", (32, 2147483648): "u32", (8, -128): "i8"}


def _dtype(header) -> str:
    bitpix = int(header.get("BITPIX", 8))
    return _UNSIGNED.get((bitpix, int(header.get("BZERO", 0))), _DTYPES.get(bitpix, "?"))


def summarize(exposure) -> dict:
    """Return a JSON-ready summary of an exposure, from its headers only."""
    primary = exposure.peek_primary()
    hdus = []
    for hdu in exposure:
        header = hdu.peek_header()
        entry = {"name": hdu.name, "kind": hdu.kind, "shape": list(hdu.shape)}
        if hdu.kind == "image" and hdu.shape:
            entry["dtype"] = _dtype(header)
        hdus.append(entry)
    return {
        "file": exposure.label,
        "instrument": str(primary.get("INSTRUME", "")).strip(),
        "detector": str(primary.get("DETECTOR", "")).strip(),
        "exp_type": str(primary.get("EXP_TYPE", "")).strip(),
        "hdus": hdus,
        "steps": exposure.steps_run(),
        **provenance(primary),
    }


def provenance(primary) -> dict:
    """Return the provenance recorded in a primary header, as JSON-ready fields.

    CAL_VER (the software), DATE (when the file was written), CAL_VCS and CRDS_CTX where present,
    and ``references``: the R_* keywords (reference file names, e.g. ``R_GAIN``).
    """
    record = {}
    for key, field in (("CAL_VER", "cal_ver"), ("CAL_VCS", "cal_vcs"), ("DATE", "date"),
                       ("CRDS_CTX", "crds_ctx")):
        if key in primary:
            record[field] = str(primary[key]).strip()
    record["references"] = {key: str(primary[key]).strip() for key in primary
                            if key.startswith("R_") and key != "R_"}
    return record


def format_line(summary: dict) -> str:
    """Return the one-line text form of :func:`summarize`'s result."""
    shapes = " ".join(
        f"{h['name']}({','.join(map(str, h['shape']))}{' ' + h['dtype'] if 'dtype' in h else ''})"
        for h in summary["hdus"] if h["shape"]
    )
    steps = ",".join(f"{s}" if v == "COMPLETE" else f"{s}={v}" for s, v in summary["steps"].items())
    instrument = "/".join(x for x in (summary["instrument"], summary["detector"]) if x) or "-"
    return f"{summary['file']}\t{instrument}\t{shapes or '-'}\t{steps or '-'}"


@click.command("info", short_help="One line per exposure of a stream.")
@options.source_arg
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (JSON Lines).")
def command(source, as_json):
    """Describe each exposure of a stream on one line.

    The fields, separated by tabs: file, instrument/detector, the shape (and type) of each HDU,
    and the calibration steps recorded by the S_* keywords. --json adds the provenance: CAL_VER
    (the software), DATE (when the file was written), CRDS_CTX, and the reference files used
    (the R_* keywords, e.g. R_GAIN).

    Only headers are read; data sections are skipped.

    \b
    Example:
      jwcal cat *_rate.fits | jwcal info --json | jq .steps
    """
    from jwcal.io import read_exposures

    for exposure in read_exposures(source, headers_only=True):
        summary = summarize(exposure)
        click.echo(json.dumps(summary) if as_json else format_line(summary))
