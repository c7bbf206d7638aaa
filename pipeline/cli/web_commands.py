"""`cpc serve`: the front desk's web pages, for everyone who is not a shell user of the server.

Bound to 127.0.0.1 by default: the council's TLS reverse proxy (README) is what people reach. The
CLI stays for the server's operators; the web pages call the same service functions.
"""

from __future__ import annotations

from typing import Annotated

import typer

from pipeline.cli.base import ConfigOption, app, config_from, fail, open_store, profiles_from


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="The address to listen on (behind the TLS proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port.")] = 8080,
    threads: Annotated[
        int, typer.Option("--threads", min=1, max=32, help="Requests answered at once.")
    ] = 4,
    config_path: ConfigOption = None,
) -> None:
    """Serve the front desk: sign-in, the dashboard, conferences, copies and decisions."""
    import waitress

    from pipeline.web import assets
    from pipeline.web.app import create_app

    config = config_from(config_path)
    profiles = profiles_from(list(config.folders.profiles))
    store = open_store(config)
    if not assets.installed():
        fail("the GOV.UK Frontend assets are not installed: run scripts/bootstrap")
    application = create_app(config, store, profiles)
    typer.echo(f"serving the front desk on http://{host}:{port}/ (stop with Ctrl-C)", err=True)
    try:
        waitress.serve(application, host=host, port=port, threads=threads, ident="cpc")
    finally:
        store.close()
