from sqlalchemy import inspect

from workers.app.runtime import Database


async def test_migrations_create_every_table(database: Database) -> None:
    async with database.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"submissions", "clients", "client_identities", "staff", "tickets", "ticket_history", "outbox"} <= tables
