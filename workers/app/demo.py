"""A small Russian demo directory for `complaints up --demo`: twelve clients and staff of every role.

Every demo employee signs in with the password "demo" (DEMO_PASSWORD); see workers/demo_data/README.md
for who is who. Loading is idempotent: a second load finds everything in place and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from router.directory_import import ImportReport, import_clients, import_staff
from workers.app.runtime import Database

DEMO_DIR = Path(__file__).with_name("demo_data")
DEMO_STAFF = DEMO_DIR / "staff.csv"
DEMO_CLIENTS = DEMO_DIR / "clients.csv"
DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoReport:
    staff: ImportReport
    clients: ImportReport

    @property
    def ok(self) -> bool:
        return self.staff.ok and self.clients.ok

    @property
    def changed(self) -> int:
        return self.staff.changed + self.clients.changed

    def summary(self) -> str:
        """One line for the console, in Russian."""
        return (
            f"Демо-справочник: сотрудники +{self.staff.imported}/~{self.staff.updated}, "
            f"клиенты +{self.clients.imported}/~{self.clients.updated} "
            f"(без изменений {self.staff.unchanged + self.clients.unchanged}); пароль сотрудников «{DEMO_PASSWORD}»"
        )


async def load_demo(database: Database) -> DemoReport:
    """Staff first, so the clients' personal managers exist when the clients arrive."""
    staff = await import_staff(database.sessions, DEMO_STAFF)
    clients = await import_clients(database.sessions, DEMO_CLIENTS)
    return DemoReport(staff=staff, clients=clients)
