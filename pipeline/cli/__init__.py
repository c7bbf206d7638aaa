"""Layer 9, edge. The `cpc` command: the only place errors become messages and exit codes.

Entry point: `pipeline.cli.base.app`, with every command registered on it once `pipeline.cli.app`
is imported (the `cpc` script is `pipeline.cli.app:app`); exit codes: `pipeline.cli.exit_codes.said`.
"""
