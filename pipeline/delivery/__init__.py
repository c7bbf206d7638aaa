"""Layer 6, edge. Rendered copies → folders, e-mail, post batches and the hand-over route; the `cpc process` preview writer.

Entry point: `pipeline.delivery.channels`.
"""
