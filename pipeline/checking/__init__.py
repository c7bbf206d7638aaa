"""Layer 5. Rendered bytes → the leak check: nothing withheld from a reader is in what they receive.

Entry point: `pipeline.checking.leak_check.leak_report`.
"""
