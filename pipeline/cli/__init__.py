"""Layer 9, edge. The `cpc` command: the only place errors become messages and exit codes.

Entry point: `pipeline.cli.app.app`.
"""
