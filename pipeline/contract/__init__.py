"""Layer 1, pure. Export and amendment JSON bytes → validated frozen models, or a `BadExport` naming the field.

Entry point: `pipeline.contract.load.load_document` (`load_export` for an export alone).
"""
