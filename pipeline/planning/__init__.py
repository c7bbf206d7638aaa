"""Layer 2, pure. Validated export + profile → the distribution plan: who gets which document, in which view, by which channel and when.

Entry point: `pipeline.planning.recipients.plan_distribution`.
"""
