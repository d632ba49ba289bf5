"""Alembic environment: runs on the connection Earshot hands it (see db.migrate)."""

from alembic import context

from earshot.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `earshot migrate` or the server start-up")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
