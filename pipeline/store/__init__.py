"""Layer 7, edge. The record: exports, plans, copies, deliveries, decisions, amendments and the audit, in SQLite (PostgreSQL later).

Entry point: `pipeline.store.db.Store.open`. One module per aggregate (`documents`, `copies`,
`deliveries`, `decisions`, `amendments`, `audit`, and `open_work`: which conferences a
command need read at all) over `base` (the engine, its transactions and
the wrapping of SQLAlchemy's errors); every read returns a frozen row of `rows`.
"""
