"""Layer 6, edge. Files dropped in watched inboxes → accepted documents or quarantined files with a reason.

Entry point: `pipeline.intake.accept.read_document`; `pipeline.intake.inbox` for folders; `pipeline.intake.watch` for watchdog events.
"""
