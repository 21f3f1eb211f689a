"""Staff import: upsert by login, check deputies, hash passwords; and setting one password. A new password or a
deactivation ends the staff member's open web sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from router.directory_import.pipeline import ImportSpec, run_import
from router.directory_import.report import ImportReport, Progress, WriteCounts
from router.directory_import.rows import Check, NumberedRows, keep_rows_until_stable
from router.directory_import.staff_rows import StaffRow
from router.directory_import.vocabulary import SUBSCRIBER_DEPARTMENT
from router.directory_import.writing import Sessions, assign, select_in, write_batches
from router.models import Staff, StaffSession
from router.passwords import hash_password, verify_password
from router.timeutil import utcnow

REVOKE_BATCH = 500  # logins per UPDATE (SQLite caps the bound parameters)
HASH_BATCH = 50  # rows per write batch: each may hash a password (slow by design), all of a batch at once


async def import_staff(sessions: Sessions, source: Path | bytes, *, progress: Progress | None = None) -> ImportReport:
    """Upsert staff by login. A password in the file is hashed; an empty one keeps the stored hash."""
    return await run_import(STAFF, sessions, source, progress)


async def set_password(sessions: Sessions, login: str, password: str) -> bool:
    """Store a new password hash for `login`; False if there is no such staff member."""
    password_hash = await asyncio.to_thread(hash_password, password)
    async with sessions() as session, session.begin():
        person = await session.scalar(select(Staff).where(Staff.login == login))
        if person is None:
            return False
        person.password_hash = password_hash
        await revoke_sessions(session, [login])
    return True


async def revoke_sessions(session: AsyncSession, logins: Collection[str]) -> None:
    """End every open web session of these staff members (the caller commits)."""
    listed, now = sorted(logins), utcnow()
    for start in range(0, len(listed), REVOKE_BATCH):
        await session.execute(update(StaffSession)
                              .where(StaffSession.login.in_(listed[start:start + REVOKE_BATCH]),
                                     StaffSession.revoked_at.is_(None))
                              .values(revoked_at=now))


async def _screen(session: AsyncSession, rows: NumberedRows[StaffRow], report: ImportReport) -> NumberedRows[StaffRow]:
    stored = {s.login: s.active for s in await session.scalars(select(Staff))}
    rows = keep_rows_until_stable(rows, lambda active: _deputy_check(active, stored), report)
    _warn_about_placement(rows, stored, report)
    return rows


def _deputy_check(rows: NumberedRows[StaffRow], stored: dict[str, bool]) -> Check[StaffRow]:
    """A deputy must be in the file or the database (and not the person themselves)."""
    known = set(stored) | {row.login for _, row in rows}

    def check(line: int, row: StaffRow) -> str | None:
        deputy = row.deputy_login
        if deputy == row.login:
            return "deputy_login: сотрудник не может быть своим заместителем / a person cannot be their own deputy"
        if deputy is not None and deputy not in known:
            return (f"deputy_login: заместитель «{deputy}» не найден ни в файле, ни в базе / "
                    f"deputy {deputy!r} is neither in the file nor in the database")
        return None

    return check


def _warn_about_placement(rows: NumberedRows[StaffRow], stored: dict[str, bool], report: ImportReport) -> None:
    activity = {**stored, **{row.login: row.active for _, row in rows}}
    for line, row in rows:
        if row.role in ("manager", "subscriber_head") and row.department != SUBSCRIBER_DEPARTMENT:
            report.warn(line, f"{row.role} обычно в отделе «{SUBSCRIBER_DEPARTMENT}», указан «{row.department}»: "
                              f"новые обращения распределяются только внутри абонентского отдела / "
                              f"{row.role} outside the {SUBSCRIBER_DEPARTMENT!r} department gets no new tickets")
        if row.deputy_login and not activity.get(row.deputy_login, True):
            report.warn(line, f"заместитель «{row.deputy_login}» неактивен / deputy {row.deputy_login!r} is inactive")


async def _write_staff(session: AsyncSession, rows: NumberedRows[StaffRow], progress: Progress | None) -> WriteCounts:
    stored = await select_in(session, select(Staff), Staff.login, [row.login for _, row in rows])
    existing = {person.login: person for person in stored}
    counts = WriteCounts()
    ended: set[str] = set()  # deactivated or given a new password: their sessions end
    for batch in write_batches(rows, HASH_BATCH, progress):
        hashes = await asyncio.gather(*(_password_hash(row, existing.get(row.login)) for _, row in batch))
        for (_, row), password_hash in zip(batch, hashes, strict=True):
            found = existing.get(row.login)
            if found is not None and (password_hash is not None or (found.active and not row.active)):
                ended.add(row.login)
            _place(session, row, found, password_hash, counts)
        await session.flush()
    await revoke_sessions(session, ended)
    return counts


def _place(
    session: AsyncSession, row: StaffRow, found: Staff | None, password_hash: str | None, counts: WriteCounts
) -> None:
    """Add `row` as a new staff member, or update the stored one (its hash only when given one)."""
    fields = row.staff_fields()
    if found is None:
        session.add(Staff(**fields, password_hash=password_hash))
        counts.imported += 1
        return
    if password_hash is not None:
        fields["password_hash"] = password_hash
    counts.existing_row(assign(found, fields))


async def _password_hash(row: StaffRow, person: Staff | None) -> str | None:
    """The hash to store: None keeps the stored one (no password given, or the same password)."""
    if row.password is None:
        return None
    stored = person.password_hash if person is not None else None
    if stored:
        same: bool = await asyncio.to_thread(verify_password, row.password, stored)
        if same:
            return None
    return await asyncio.to_thread(hash_password, row.password)


async def _warn_no_password(session: AsyncSession, rows: NumberedRows[StaffRow], report: ImportReport) -> None:
    no_hash = select(Staff.login).where(Staff.password_hash.is_(None))
    without = set(await select_in(session, no_hash, Staff.login, [row.login for _, row in rows]))
    for line, row in rows:
        if row.login in without and row.active:
            report.warn(line, f"пароль не задан: вход невозможен до `complaints staff passwd {row.login}` / "
                              "no password: cannot sign in until one is set")


STAFF = ImportSpec("staff", StaffRow, _screen, _write_staff, _warn_no_password)
