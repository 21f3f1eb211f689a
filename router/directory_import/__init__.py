"""Import the client and staff directory from CSV exports (billing system, HR), in batches.

The file: UTF-8 (a BOM is fine; an Excel export in Windows-1251 is accepted too), `,` or `;` sniffed from
the header line, multi-valued cells separated by `|`. A bad row is reported with its line number and the
reason and skipped; the good rows are written together in one transaction, so thousands of rows take
seconds. Re-importing a file updates the rows it names (clients by contract number, staff by login) and
leaves an unchanged row untouched.

csv_reading (file -> lines) -> rows, client_rows, staff_rows (lines -> models) -> pipeline (shared steps)
-> clients, staff (database checks and upserts, via writing).
"""

from router.directory_import.client_rows import CLIENT_COLUMNS, CLIENT_REQUIRED, ClientRow
from router.directory_import.clients import import_clients
from router.directory_import.csv_reading import MULTI_SEPARATOR, CsvRow, decode_csv, read_csv, sniff_delimiter
from router.directory_import.report import ImportReport, Progress
from router.directory_import.rows import REQUIRED_MESSAGE, describe_validation_error, validate_rows
from router.directory_import.staff import import_staff, set_password
from router.directory_import.staff_rows import STAFF_COLUMNS, STAFF_REQUIRED, StaffRow
from router.directory_import.vocabulary import (
    IDENTITY_KINDS,
    IDENTITY_LABELS,
    ROLES,
    SUBSCRIBER_DEPARTMENT,
    BuildingType,
    Role,
    Segment,
)
from router.directory_import.writing import CHUNK

__all__ = [
    "CHUNK",
    "CLIENT_COLUMNS",
    "CLIENT_REQUIRED",
    "IDENTITY_KINDS",
    "IDENTITY_LABELS",
    "MULTI_SEPARATOR",
    "REQUIRED_MESSAGE",
    "ROLES",
    "STAFF_COLUMNS",
    "STAFF_REQUIRED",
    "SUBSCRIBER_DEPARTMENT",
    "BuildingType",
    "ClientRow",
    "CsvRow",
    "ImportReport",
    "Progress",
    "Role",
    "Segment",
    "StaffRow",
    "decode_csv",
    "describe_validation_error",
    "import_clients",
    "import_staff",
    "read_csv",
    "set_password",
    "sniff_delimiter",
    "validate_rows",
]
