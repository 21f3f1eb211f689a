"""Client import: upsert by contract number; each client's identities are replaced by the file's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.directory_import.client_rows import ClientRow
from router.directory_import.pipeline import ImportSpec, run_import
from router.directory_import.report import ImportReport, Progress, WriteCounts
from router.directory_import.rows import Check, NumberedRows, keep_rows_until_stable
from router.directory_import.vocabulary import IDENTITY_LABELS
from router.directory_import.writing import CHUNK, Sessions, assign, chunks, select_in, write_batches
from router.models import Client, ClientIdentity, Staff

Identity = tuple[str, str]  # (kind, value)


async def import_clients(sessions: Sessions, source: Path | bytes, *, progress: Progress | None = None) -> ImportReport:
    """Upsert clients by contract number; each client's identities are replaced by the file's."""
    return await run_import(CLIENTS, sessions, source, progress)


async def _screen(
    session: AsyncSession, rows: NumberedRows[ClientRow], report: ImportReport
) -> NumberedRows[ClientRow]:
    """Drop the rows naming an identity that another client keeps, in the file or in the database."""
    owners = await _identity_owners(session, [row for _, row in rows])
    return _resolve_identity_conflicts(rows, owners, report)


async def _identity_owners(session: AsyncSession, rows: list[ClientRow]) -> dict[Identity, str]:
    """Contract number of the client that holds each (kind, value) the file mentions."""
    values = sorted({value for row in rows for _, value in row.identities()})
    owners: dict[Identity, str] = {}
    for chunk in chunks(values):
        result = await session.execute(
            select(ClientIdentity.kind, ClientIdentity.value, Client.contract_number)
            .join(Client, Client.id == ClientIdentity.client_id)
            .where(ClientIdentity.value.in_(chunk))
        )
        for kind, value, contract in result:
            owners[(kind, value)] = contract
    accounts = sorted({row.account_number for row in rows if row.account_number})
    for chunk in chunks(accounts):
        accounts_found = await session.execute(
            select(Client.account_number, Client.contract_number).where(Client.account_number.in_(chunk))
        )
        for account, contract in accounts_found:
            if account is not None:
                owners.setdefault(("account", account), contract)
    return owners


def _resolve_identity_conflicts(
    rows: NumberedRows[ClientRow], owners: dict[Identity, str], report: ImportReport
) -> NumberedRows[ClientRow]:
    """Drop rows naming an identity another client keeps; repeat until no dropped row frees one."""
    return keep_rows_until_stable(rows, lambda active: _identity_claims(active, owners), report)


def _identity_claims(rows: NumberedRows[ClientRow], owners: dict[Identity, str]) -> Check[ClientRow]:
    """A check that lets each row, in file order, claim its identities unless someone else holds one."""
    wanted = {row.contract_number: set(row.identities()) for _, row in rows}
    claimed: dict[Identity, tuple[str, int]] = {}

    def claim(line: int, row: ClientRow) -> str | None:
        problem = _identity_problem(row, claimed, owners, wanted)
        if problem is None:
            claimed.update(dict.fromkeys(row.identities(), (row.contract_number, line)))
        return problem

    return claim


def _identity_problem(
    row: ClientRow,
    claimed: dict[Identity, tuple[str, int]],
    owners: dict[Identity, str],
    wanted: dict[str, set[Identity]],
) -> str | None:
    """Why `row` cannot have its identities: an earlier line claims one, or a client the file leaves keeps it."""
    for pair in row.identities():
        kind, value = pair
        label = IDENTITY_LABELS[kind]
        if pair in claimed and claimed[pair][0] != row.contract_number:
            other, other_line = claimed[pair]
            return (
                f"{label} {value} уже указан в строке {other_line} (договор {other}) / "
                f"{kind} {value} is already used in line {other_line} (contract {other})"
            )
        owner = owners.get(pair)
        released = owner in wanted and pair not in wanted[owner]
        if owner is not None and owner != row.contract_number and not released:
            return (
                f"{label} {value} уже принадлежит клиенту с договором {owner} / "
                f"{kind} {value} already belongs to the client with contract {owner}"
            )
    return None


async def _write_clients(
    session: AsyncSession, rows: NumberedRows[ClientRow], progress: Progress | None
) -> WriteCounts:
    stored = await select_in(session, select(Client), Client.contract_number, [row.contract_number for _, row in rows])
    existing = {client.contract_number: client for client in stored}
    held = {contract: {(i.kind, i.value) for i in client.identities} for contract, client in existing.items()}
    await _free_what_moves(session, rows, existing)
    counts = WriteCounts()
    for batch in write_batches(rows, CHUNK, progress):
        placed = [(_place(session, row, existing.get(row.contract_number), held, counts), row) for _, row in batch]
        await session.flush()  # gives the new clients their ids
        new_identities = [
            {"client_id": client.id, "kind": kind, "value": value}
            for client, row in placed
            for kind, value in row.identities()
            if (kind, value) not in held.get(row.contract_number, set())
        ]
        if new_identities:
            await session.execute(insert(ClientIdentity), new_identities)
    return counts


async def _free_what_moves(session: AsyncSession, rows: NumberedRows[ClientRow], existing: dict[str, Client]) -> None:
    """Free what moves first (identities no longer listed, account numbers that change hands), so another
    client in the same file may take them without tripping a unique constraint."""
    stale: list[int] = []
    freeing: list[int] = []
    for _, row in rows:
        current = existing.get(row.contract_number)
        if current is None:
            continue
        wanted = set(row.identities())
        stale.extend(i.id for i in current.identities if (i.kind, i.value) not in wanted)
        if current.account_number and current.account_number != row.account_number:
            freeing.append(current.id)
    for chunk in chunks(stale):
        await session.execute(
            delete(ClientIdentity).where(ClientIdentity.id.in_(chunk)).execution_options(synchronize_session=False)
        )
    for chunk in chunks(freeing):
        await session.execute(
            update(Client).where(Client.id.in_(chunk)).values(account_number=None)
            .execution_options(synchronize_session=False)
        )


def _place(
    session: AsyncSession, row: ClientRow, found: Client | None, held: dict[str, set[Identity]], counts: WriteCounts
) -> Client:
    """The client for `row`: a new one added to the session, or the stored one updated."""
    if found is None:
        client = Client(**row.client_fields())
        session.add(client)
        counts.imported += 1
        return client
    counts.existing_row(assign(found, row.client_fields()) or held[row.contract_number] != set(row.identities()))
    return found


async def _warn_unknown_managers(session: AsyncSession, rows: NumberedRows[ClientRow], report: ImportReport) -> None:
    logins = sorted({row.manager_login for _, row in rows if row.manager_login})
    known = set(await select_in(session, select(Staff.login), Staff.login, logins))
    for line, row in rows:
        if row.manager_login and row.manager_login not in known:
            report.warn(
                line,
                f"менеджер «{row.manager_login}» не найден среди сотрудников: обращения уйдут наименее "
                f"загруженному менеджеру / manager {row.manager_login!r} is not in the staff directory",
            )


CLIENTS = ImportSpec("clients", ClientRow, _screen, _write_clients, _warn_unknown_managers)
