"""Layer 3, pure. One planned copy → the `RecipientView` its readers may see; redaction on the data, before any template.

Entry point: `pipeline.redaction.view.view_for` (and `marks_for`, `amendment_view.amendment_view`).
"""
