"""``ecs-exposure serve``: the dashboard over a findings store, as a local web server."""

from __future__ import annotations

from pathlib import Path

import click

from ecs_exposure.cli.options import store_option


@click.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any address that is not loopback needs an access "
                   "token (--token-file, else one is generated and printed).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port, printed).")
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Access tokens, one 'LABEL TOKEN' per line; the audit log names the "
                   "label of the token each change was made with. Also required on loopback "
                   "when given.")
def serve(store_url: str | None, host: str, port: int, token_file: Path | None) -> None:
    """Run the dashboard: overview, findings, a finding's history and fix, suppressions,
    posture, compliance and scan diffs, in the browser.

    Bound to 127.0.0.1 by default. Every page and asset comes from this server (strict
    Content-Security-Policy); suppress and unsuppress are forms protected against
    cross-site requests.

    \b
    Examples:
      ecs-exposure serve
      ecs-exposure serve --store sqlite:///scans/store.db --port 8080
      ecs-exposure serve --store postgresql://scanner@db.internal/ecs \\
          --host 0.0.0.0 --token-file /etc/ecs-exposure/tokens
    """
    import uvicorn

    from ecs_exposure.cli.output import stderr_console
    from ecs_exposure.errors import ConfigError
    from ecs_exposure.store.engine import open_store
    from ecs_exposure.web.app import create_app, warm_in_background
    from ecs_exposure.web.pages import TREND_SCANS
    from ecs_exposure.web.security import Access, is_loopback, new_token, read_tokens

    tokens = read_tokens(token_file) if token_file else {}
    generated = None
    if not tokens and not is_loopback(host):
        generated = new_token()
        tokens = {generated: "generated"}
    hosts = ("*",) if tokens else _loopback_names(host)
    console = stderr_console()
    with open_store(store_url) as store:
        app = create_app(store, Access(tokens=tokens, hosts=hosts))
        warm_in_background(app, TREND_SCANS)   # read once, while the server starts
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                server_header=False, proxy_headers=False)
        server = uvicorn.Server(config)

        original = server.startup

        async def startup(sockets: object = None) -> None:
            """Print the address once the socket is bound (the port may have been 0)."""
            await original(sockets)   # type: ignore[arg-type]
            bound = port
            for listener in getattr(server, "servers", []):
                for sock in listener.sockets:
                    bound = sock.getsockname()[1]
            shown = f"[{host}]" if ":" in host else host
            address = f"http://{shown}:{bound}/"
            if generated:
                address += f"?token={generated}"
            console.print(f"ecs-exposure dashboard on {address} (store {store.name}); "
                          "Ctrl+C stops it", markup=False, highlight=False, soft_wrap=True)
            if generated:
                console.print("the access token above was generated for this run; give "
                              "--token-file to choose your own", markup=False,
                              highlight=False, soft_wrap=True)

        server.startup = startup    # type: ignore[method-assign]
        try:
            server.run()
        except SystemExit:
            if server.started:
                raise
            # uvicorn exits 1 when it cannot listen; 1 means "the check failed" here
            raise ConfigError(f"cannot listen on {host}:{port} (the reason is above; "
                              "--port 0 picks a free port)") from None


def _loopback_names(host: str) -> tuple[str, ...]:
    """``Host`` names a browser on this machine sends for a loopback address."""
    return tuple(dict.fromkeys((host.strip("[]"), f"[{host.strip('[]')}]", "127.0.0.1",
                                "localhost", "::1", "[::1]")))
