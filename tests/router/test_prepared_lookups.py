"""with_pairs(): the lookups every routing batch runs are built once per shape and reused with new values."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from router.models import Base, Client, ClientIdentity, cast_table
from router.route_lookup import pairs_in, with_pairs

IDENTITY = cast_table(ClientIdentity).c
ROWS = [("phone", "+79161234567"), ("phone", "+79167654321"), ("email", "a@example.ru"), ("vk", "42"),
        ("telegram", "7"), ("email", "b@example.ru")]


def lookup(pairs: set[tuple[str, str]]) -> tuple[object, dict[str, object]]:
    return with_pairs("test_identities", lambda where: select(IDENTITY.kind, IDENTITY.value).where(where),
                      IDENTITY.kind, IDENTITY.value, pairs)


def session_with_identities(tmp_path: Path) -> Session:
    engine = create_engine(f"sqlite:///{tmp_path / 'lookups.db'}")
    Base.metadata.create_all(engine)
    session = Session(engine)
    session.execute(insert(Client).values(id=1, name="Клиент", contract_number="D-1", segment="individual"))
    session.execute(insert(ClientIdentity), [{"kind": k, "value": v, "client_id": 1} for k, v in ROWS])
    return session


def test_one_statement_per_shape_whatever_the_values() -> None:
    first, params_1 = lookup({("phone", "+79161234567"), ("email", "a@example.ru")})
    second, params_2 = lookup({("phone", "+79167654321"), ("phone", "x"), ("vk", "42")})
    assert first is second  # two distinct kinds each: built once
    assert params_1 != params_2
    third, _ = lookup({("phone", "+79161234567")})
    assert third is not first  # one kind: another shape


def test_the_reused_statement_finds_exactly_what_pairs_in_finds(tmp_path: Path) -> None:
    session = session_with_identities(tmp_path)
    wanted_sets = [
        {("phone", "+79161234567"), ("email", "b@example.ru"), ("email", "nobody@example.ru")},
        {("phone", "+79167654321"), ("vk", "42"), ("telegram", "8")},  # the same shape, other values
        {("vk", "42")},
        {(kind, value) for kind, value in ROWS} | {(f"kind{i}", "v") for i in range(20)},  # too many kinds to keep
    ]
    for wanted in wanted_sets:
        statement, params = lookup(wanted)
        reused = {(kind, value) for kind, value in session.execute(statement, params)}  # type: ignore[call-overload]
        built = {(kind, value) for kind, value in session.execute(
            select(IDENTITY.kind, IDENTITY.value).where(pairs_in(IDENTITY.kind, IDENTITY.value, wanted)))}
        assert reused == built == {pair for pair in ROWS if pair in wanted}
    session.close()
