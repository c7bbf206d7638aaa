"""Layer 8, orchestration. Ingest, re-plan, render pool, the delivery run, decisions and the status reports.

Entry point: `pipeline.service.run.distribute`; `pipeline.service.ingest` for intake into the store.
"""
