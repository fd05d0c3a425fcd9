"""``jwcal run``: the text of a jwcal shell pipe executed in one process, or as a batch of exposures.

:mod:`jwcal.pipeline.parse` turns the text into stages, each parsed by the same click command as on
the shell; :mod:`jwcal.pipeline.inprocess` runs the stages as threads joined by in-memory channels
(:mod:`jwcal.io.channel`); :mod:`jwcal.pipeline.batch` runs one task per input file on Dask.
"""
