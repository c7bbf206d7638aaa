"""Layer 9, edge. The front desk: `cpc serve`'s web pages for administrators, chairs and social workers.

Entry point: `pipeline.web.app.create_app` (a Flask application over the same service functions,
and so the same checks and audit log, as the CLI); like the CLI, only here do errors become
messages (and HTTP status codes).
"""
