"""The `earshot` command: serve, manage users, export the protocol schema."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

import typer

from earshot.auth.models import Role
from earshot.config import get_settings

cli = typer.Typer(help="Earshot: real-time assistant for call-center agents.", no_args_is_help=True)
users_cli = typer.Typer(help="Manage staff accounts.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [EARSHOT_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [EARSHOT_PORT].")] = None,
    demo: Annotated[bool, typer.Option(help="Seed demo users and customers on first run.")] = False,
) -> None:
    """Migrate the database and serve the API, WebSockets and web app."""
    import uvicorn

    from earshot.app import create_app
    from earshot.seed import seed_demo_data

    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if demo:
        asyncio.run(seed_demo_data(settings))
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        ws_max_size=settings.max_message_bytes * 4,
    )


@cli.command()
def migrate() -> None:
    """Create or upgrade the database schema, then exit."""
    from earshot.db import Database

    async def run() -> None:
        db = Database(get_settings().resolved_database_url)
        await db.migrate()
        await db.close()

    asyncio.run(run())
    typer.echo("database is up to date")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the WebSocket protocol."""
    from earshot.calls.protocol import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


@users_cli.command("create")
def users_create(
    username: str,
    role: Annotated[Role, typer.Option(help="agent, supervisor or admin.")],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the console.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters.")
    ] = "",
) -> None:
    """Create a staff account."""
    from earshot.auth.service import UserError, create_user
    from earshot.db import Database

    async def run() -> None:
        db = Database(get_settings().resolved_database_url)
        await db.migrate()
        try:
            async with db.sessions() as session:
                await create_user(session, username, display_name or username, password, role)
                await session.commit()
        finally:
            await db.close()

    try:
        asyncio.run(run())
    except UserError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {role.value} {username}")


def main() -> None:
    cli()
