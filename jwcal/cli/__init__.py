"""The ``jwcal`` command line: one thin click command per step, registered in :mod:`jwcal.cli.main`."""
