"""The `earshot` command: serve, manage users, transcribe files, simulate calls, suggest, export the protocol."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from earshot.auth.models import Role
from earshot.config import get_settings

if TYPE_CHECKING:
    import numpy as np

cli = typer.Typer(help="Earshot: real-time assistant for call-center agents.", no_args_is_help=True)
users_cli = typer.Typer(help="Manage staff accounts.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
metrics_cli = typer.Typer(help="Maintain the metrics read models.", no_args_is_help=True)
cli.add_typer(metrics_cli, name="metrics")
history_cli = typer.Typer(help="Maintain the call history's read model and search index.", no_args_is_help=True)
cli.add_typer(history_cli, name="history")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on [EARSHOT_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [EARSHOT_PORT].")] = None,
    demo: Annotated[bool, typer.Option(help="Seed demo users and customers on first run.")] = False,
) -> None:
    """Migrate the database and serve the API, WebSockets and web app."""
    from earshot.app import create_app
    from earshot.seed import seed_demo_data
    from earshot.serve import EarshotServer

    settings = get_settings()
    if (problem := settings.missing_shared_secret()) is not None:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if demo:
        asyncio.run(seed_demo_data(settings))
    EarshotServer(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        ws_max_size=settings.ws_max_frame_bytes,  # above max_message_bytes: Earshot answers too_large itself
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 (anyone on this machine); the app
        # reads forwarded headers itself, only from EARSHOT_TRUSTED_PROXIES (auth/proxies.py).
        proxy_headers=False,
    ).run()


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


@cli.command()
def transcribe(
    files: Annotated[list[str], typer.Argument(help="Audio files (WAV, MP3, WebM, ...), any rate.")],
    json_lines: Annotated[bool, typer.Option("--json", help="One JSON object per file, with segments.")] = False,
) -> None:
    """Transcribe audio files with the configured STT engine [EARSHOT_STT_*]: one line per file."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from earshot.transcription import SttError, create_engine
    from earshot.transcription.offline import FileTranscript, transcribe_files

    try:
        engine = create_engine(get_settings())
    except SttError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # The bar lives on stderr and must not capture stdout, which carries only the transcripts.
    with Progress(*columns, console=Console(stderr=True), transient=True, redirect_stdout=False) as progress:
        task = progress.add_task("transcribing", total=len(files))

        def advance(result: FileTranscript) -> None:
            progress.update(task, advance=1, description=result.path.name)

        results = transcribe_files(files, engine, advance)
    for result in results:
        if result.transcription is None:
            typer.echo(f"error: {result.path}: {result.error}", err=True)
        elif json_lines:
            transcription = result.transcription
            segments = [{"start": s.start, "end": s.end, "text": s.text} for s in transcription.segments]
            record = {"file": str(result.path), "text": transcription.text, "segments": segments}
            typer.echo(json.dumps({**record, "duration": round(transcription.duration, 3)}, ensure_ascii=False))
        else:
            typer.echo(result.transcription.text)
    if any(result.error for result in results):
        raise typer.Exit(1)


@cli.command("call-sim")
def call_sim(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Audio file to speak as the caller.")],
    url: Annotated[str, typer.Option(help="Earshot server.")] = "http://127.0.0.1:8000",
    telephony: Annotated[bool, typer.Option(help="Call over the Twilio Media Streams protocol (8 kHz mu-law).")] = False,
    name: Annotated[str, typer.Option(help="Caller name shown to the agent.")] = "Simulated caller",
    agent: Annotated[str | None, typer.Option(help="Answer the call as this agent (else wait for a person).")] = None,
    password: Annotated[str | None, typer.Option(envvar="EARSHOT_SIM_PASSWORD", help="That agent's password.")] = None,
    telephony_token: Annotated[str, typer.Option(help="The server's EARSHOT_TELEPHONY_TOKEN, if set.")] = "",
) -> None:
    """Stream an audio file into a new call in real time and print the transcripts it gets back."""
    from earshot.calls.simulate import Heard, answer_calls, login, simulate_phone_call, simulate_web_call

    audio = _load_audio_or_exit(file)
    if telephony and not agent:
        typer.echo("error: --telephony needs --agent (transcripts of a phone call are read as its agent)", err=True)
        raise typer.Exit(2)

    def show(heard: Heard) -> None:
        message = heard.message
        if message["final"]:
            typer.echo(f"\r[{heard.at:6.2f}s] {message['speaker']}: {message['text']}\033[K")
        else:
            typer.echo(f"\r[{heard.at:6.2f}s] ... {message['text'][-70:]}\033[K", nl=False)

    async def run() -> None:
        token = await login(url, agent, password or "") if agent else None
        typer.echo(f"calling {url} with {file.name} ({len(audio) / 16000:.1f} s); waiting for an agent...", err=True)
        if telephony:
            assert token is not None
            await simulate_phone_call(url, audio, token, name=name, telephony_token=telephony_token, on_transcript=show)
            return
        answering = asyncio.create_task(answer_calls(url, token)) if token else None
        try:
            await simulate_web_call(url, audio, name=name, on_transcript=show)
        finally:
            if answering:
                answering.cancel()

    try:
        asyncio.run(run())
    except (OSError, RuntimeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@cli.command()
def assist(
    text: Annotated[str | None, typer.Argument(help="What the customer just said or typed.")] = None,
    history: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="The call so far: JSON [{speaker, text}] or 'agent: ...' lines."),
    ] = None,
    customer: Annotated[int | None, typer.Option(help="Id of the customer record the call is about.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the suggestion as one JSON object.")] = False,
    batch: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False,
            help='JSON lines {"text", "history"?, "customer_id"?} in; one JSON line out each: the suggestion and its sentiment.',
        ),
    ] = None,
) -> None:
    """Suggest the agent's next step for an utterance, with the same engine as live calls [EARSHOT_ASSIST_*]."""
    from earshot.assist.cli import AssistInputError, suggest_batch, suggest_once

    if batch is not None:
        if text is not None or history is not None or customer is not None or json_output:
            typer.echo("error: --batch takes its utterances, histories and customers from the file", err=True)
            raise typer.Exit(2)
        with batch.open(encoding="utf-8") as lines:
            refused = asyncio.run(suggest_batch(get_settings(), lines, lambda out: typer.echo(out)))
        if refused:
            typer.echo(f"error: {refused} line(s) of {batch} could not be used (see their \"error\")", err=True)
            raise typer.Exit(1)
        return
    if text is None:
        typer.echo("error: give an utterance, or --batch FILE", err=True)
        raise typer.Exit(2)
    try:
        suggestion = asyncio.run(suggest_once(get_settings(), text, history, customer))
    except AssistInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if json_output:
        typer.echo(suggestion.model_dump_json())
        return
    typer.echo(f"{suggestion.action.value} (confidence {suggestion.confidence:.2f}, {suggestion.provider})")
    typer.echo(suggestion.suggestion)
    typer.echo(f"Why: {suggestion.reasoning}")
    if suggestion.sources:
        typer.echo("Sources: " + "; ".join(f"{s.title} [{s.id}]" for s in suggestion.sources))


@cli.command()
def report(
    from_date: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    to_date: Annotated[str | None, typer.Option("--to", help="Last day, included; default --from.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="xlsx (one workbook) or csv (one file per table).")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="Workbook file, or folder for the CSV files.")] = None,
    interval: Annotated[str, typer.Option(help="15min, hour, day or week: the per-interval sheet.")] = "day",
) -> None:
    """Write a period's metrics report (summary, per agent, per reason, per interval), as the dashboard exports it."""
    from datetime import date

    from earshot.metrics.cli import default_out, write_report
    from earshot.metrics.queries import INTERVAL_SECONDS, Filters

    try:
        first = date.fromisoformat(from_date)
        last = date.fromisoformat(to_date) if to_date else first
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if fmt not in ("csv", "xlsx") or interval not in INTERVAL_SECONDS or last < first:
        typer.echo("error: --format is csv or xlsx, --interval 15min, hour, day or week, and --to not before --from", err=True)
        raise typer.Exit(2)
    target = out or default_out(first, last, fmt)
    with _progress_bar() as advance:
        written = asyncio.run(write_report(get_settings(), Filters.for_dates(first, last), interval, fmt, target, advance))
    for path in written:
        typer.echo(str(path))


@metrics_cli.command("rebuild")
def metrics_rebuild() -> None:
    """Recompute every ended call's facts from the call event log (after an upgrade, or to repair them)."""
    from earshot.metrics.cli import rebuild

    with _progress_bar() as advance:
        written = asyncio.run(rebuild(get_settings(), advance))
    typer.echo(f"{written} calls")


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr (stdout carries only the result): advance(what, done, total)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True, redirect_stdout=False) as progress:
        task = progress.add_task("", total=None)

        def advance(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        yield advance


def _load_audio_or_exit(file: Path) -> np.ndarray:
    from earshot.audio.decode import AudioFormatError, load_audio_file

    try:
        return load_audio_file(file)
    except AudioFormatError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@history_cli.command("rebuild")
def history_rebuild() -> None:
    """Rewrite every ended call's history row and searchable text from its log (after an upgrade, or to repair)."""
    from earshot.db import Database
    from earshot.sessions.history_recorder import rebuild_history

    async def run(advance: Callable[[str, int, int], None]) -> int:
        db = Database(get_settings().resolved_database_url)
        try:
            await db.migrate()
            return await rebuild_history(db, lambda done, total: advance("history", done, total))
        finally:
            await db.close()

    with _progress_bar() as advance:
        written = asyncio.run(run(advance))
    typer.echo(f"{written} calls")

@cli.command()
def replay(
    call_id: str,
    speed: Annotated[float, typer.Option(min=0, help="1 is the original pace, 2 twice as fast, 0 all at once.")] = 1.0,
    json_lines: Annotated[bool, typer.Option("--json", help="One event per line, as JSON (the same bytes every run).")] = False,
) -> None:
    """Print a call's timeline from the database the settings name, at the pace it happened."""
    from earshot.db import Database
    from earshot.sessions import replay as replaying

    async def run() -> None:
        db = Database(get_settings().resolved_database_url)
        render = replaying.to_json_line if json_lines else replaying.describe
        try:
            frames = ((e.offset_ms, render(e)) async for e in replaying.stream_timeline(db, call_id))
            await replaying.play(frames, speed, lambda line: typer.echo(line))
        finally:
            await db.close()

    try:
        asyncio.run(run())
    except replaying.NoSuchCall as exc:
        typer.echo(f"error: no call {call_id}", err=True)
        raise typer.Exit(1) from exc


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
