"""``jwcal run``: a jwcal shell pipe executed in one process, or over many exposures on Dask."""

from __future__ import annotations

import click

from jwcal.cli import options


@click.command("run", short_help="Run a jwcal pipe in one process, or a batch of exposures on Dask.")
@click.argument("pipeline_text", metavar="PIPELINE", required=False)
@click.argument("inputs", metavar="[IN]...", nargs=-1, type=click.Path(allow_dash=True, dir_okay=False))
@click.option("-f", "--file", "pipeline_file", metavar="FILE", type=click.Path(dir_okay=False, exists=True),
              help="Read the pipeline from FILE ('#' comments, backslash continuations) instead of "
              "the PIPELINE argument.")
@click.option("-o", "--output", default="-", show_default=True, metavar="PATH|DIR",
              type=click.Path(allow_dash=True),
              help="Output file ('-': stdout); with several inputs, the output directory.")
@options.overwrite_opt
@click.option("--refs", metavar="DIR", type=click.Path(file_okay=False, exists=True), default=None,
              help="Directory of CRDS-layout reference files (e.g. a jwcal refs cache) given to every "
              "required reference option a stage does not set; each exposure gets its best match.")
@click.option("--workers", type=options.IntRange(min=1), default=None, metavar="N",
              help="Batch: worker processes of the local Dask cluster (default: one per core); "
              "1 runs the batch in this process without Dask.")
@click.option("--threads-per-worker", type=options.IntRange(min=1), default=None, metavar="T",
              help="Batch: numba threads of each local worker, which runs one exposure at a time "
              "(default: cores / workers).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Batch: submit to a running Dask scheduler (tcp://host:8786) instead of a local cluster.")
@click.option("--retries", type=options.IntRange(min=0), default=3, show_default=True,
              help="Batch: times an exposure is retried after its worker died (never after a data error).")
@click.pass_context
def command(ctx, pipeline_text, inputs, pipeline_file, output, overwrite, refs, workers, threads_per_worker,
            scheduler, retries):
    """Run the text of a jwcal shell pipe in one process, or over many exposures.

    PIPELINE is what you would type between 'jwcal' commands and '|' in a shell, quoted as one
    argument; a leading 'jwcal' on a stage is allowed. Each stage is parsed by the same command as
    on the shell (same options, defaults and --help), but exposures pass from stage to stage in
    memory and numba kernels are loaded once, so no FITS is encoded or decoded between stages. The
    output is what the shell pipe writes. Unlike a shell pipe without 'set -o pipefail', a failing
    stage fails the whole run (exit 1, its name in the message) and no output file appears.

    With one IN (or none: stdin), the last stage's products go to -o PATH (or stdout, or the last
    stage's own -o). Multi-exposure steps work as in a shell pipe: 'tweakreg | outlier | resample'.

    With several IN files (or --workers/--scheduler), jwcal run is a batch: each file goes through
    the pipeline on its own, as one task of a Dask cluster (a local one by default), and
    DIR/<root>_<suffix>.fits is written per exposure (-o DIR is required). A data error fails that
    exposure only; worker deaths are retried (--retries); outputs already written by the same
    pipeline and newer than their input are skipped unless --overwrite. The exit status is 1 if any
    exposure failed. A stage-3 step (tweakreg, outlier, resample) cannot be part of a batch.

    \b
    Examples:
      jwcal run 'dq-init --mask m.fits | jump --gain g.fits --readnoise r.fits |
                 ramp-fit --gain g.fits --readnoise r.fits' x_uncal.fits -o x_rate.fits
      jwcal run -f stage1.jwcal raw/*_uncal.fits -o rate/
      jwcal run 'dq-init | jump | ramp-fit' --refs crds_cache/ raw/*_uncal.fits -o rate/
      jwcal run 'tweakreg --abs-refcat gaia.ecsv | outlier -o crf/ | resample' asn.json -o m_i2d.fits
    """
    from jwcal.errors import UsageError
    from jwcal.pipeline.parse import parse_pipeline, read_pipeline_file

    if pipeline_file is not None:
        if pipeline_text is not None:
            inputs = (pipeline_text, *inputs)
        pipeline_text = read_pipeline_file(pipeline_file)
    elif pipeline_text is None:
        raise UsageError("no pipeline: give PIPELINE or -f FILE")
    pipeline = parse_pipeline(pipeline_text, refs=refs)
    batch = len(inputs) > 1 or workers is not None or scheduler is not None
    if not batch:
        from jwcal.pipeline.inprocess import run_pipeline

        run_pipeline(pipeline, inputs[0] if inputs else "-", output, overwrite=overwrite, parent=ctx)
        return
    if pipeline.multi_exposure:
        raise UsageError("a batch runs each exposure on its own: tweakreg, outlier and resample combine "
                         "exposures and cannot be part of it (run them on the batch's outputs)")
    if output == "-" or not inputs:
        raise UsageError("a batch needs input files and -o DIR")
    if "-" in inputs:
        raise UsageError("a batch reads files, not stdin")
    from jwcal.pipeline.batch import run_batch

    verbosity = (ctx.obj or {}).get("verbosity", 0)
    summary = run_batch(pipeline, list(inputs), output, workers=workers,
                        threads_per_worker=threads_per_worker, scheduler=scheduler, retries=retries,
                        overwrite=overwrite, verbose=verbosity)
    if summary.failed:
        ctx.exit(1)
