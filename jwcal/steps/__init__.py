"""Steps: ``run(exposure, *, parameters) -> exposure``; headers, provenance, DQ rules."""
