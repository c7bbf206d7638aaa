"""Layer 4, bytes in memory. A `RecipientView` → HTML → PDF and DOCX bytes; no files written here.

Entry point: `pipeline.rendering.html.Composer`, `pipeline.rendering.pdf` (WeasyPrint itself in `weasyprint_layout`), `pipeline.rendering.docx`.
"""
