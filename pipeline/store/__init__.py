"""Layer 7, edge. The record: exports, plans, copies, deliveries, decisions, amendments and the audit, in SQLite (PostgreSQL later).

Entry point: `pipeline.store.db.Store.open`.
"""
