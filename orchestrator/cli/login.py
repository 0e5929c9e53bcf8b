"""`pycompose login` / `pycompose logout`: registry credentials in ~/.docker/config.json."""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def login(
    server: Annotated[
        str | None, typer.Argument(help="Registry host (default: Docker Hub).")
    ] = None,
    username: Annotated[str | None, typer.Option("--username", "-u")] = None,
    password: Annotated[str | None, typer.Option("--password", "-p")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Log in to a registry: check the credentials, then store them as `docker login` does."""
    from runtime.images.credentials import Credentials, store_credentials
    from runtime.images.errors import AuthenticationError
    from runtime.images.reference import parse_reference
    from runtime.images.registry import RegistryClient

    registry = server or "docker.io"
    if password_stdin:
        if password:
            raise AuthenticationError("--password and --password-stdin are mutually exclusive")
        password = sys.stdin.readline().rstrip("\r\n")
    if not username:
        username = typer.prompt("Username")
    if password is None:
        password = typer.prompt("Password", hide_input=True)
    if not username or not password:
        raise AuthenticationError("a username and a password are required")
    credentials = Credentials(username, password)
    host = registry.removeprefix("https://").removeprefix("http://").split("/")[0]
    probe = parse_reference(
        f"{host}/pycompose/login-probe" if host != "docker.io" else "library/hello"
    )
    client = RegistryClient(probe, credentials=credentials)
    client.scope = ""  # /v2/ itself needs no repository scope
    client.ping()
    store_credentials(host, credentials)
    typer.echo("Login Succeeded")


def logout(
    server: Annotated[
        str | None, typer.Argument(help="Registry host (default: Docker Hub).")
    ] = None,
) -> None:
    """Forget the stored credentials of a registry."""
    from runtime.images.credentials import erase_credentials

    registry = server or "docker.io"
    if erase_credentials(registry):
        typer.echo(f"Removing login credentials for {registry}")
    else:
        typer.echo(f"Not logged in to {registry}")


def register(app: typer.Typer) -> None:
    """Add `login` and `logout` to the root command."""
    app.command("login")(login)
    app.command("logout")(logout)
