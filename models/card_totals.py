"""Each member's cards of a year, summed as the ledger changes: the award list's ranking.

The ledger (``point_card``) stays the record: a balance is the sum of its entries, and every
other figure (a member's standing, the leaderboards, the reports) sums them when asked. The
award list cannot: it sorts every member of the scope by this year's total, and summing the
ledger for 10,000 members took about half of the page's time (``python -m bench.admin``, page
p95: SQLite 10.3-11.4 ms against 7.5-7.8 ms with this table, PostgreSQL 23.8 against 18.5 ms).

``card_total`` holds one row per member and year with cards: the sum of that member's entries
of that year. Triggers on ``point_card`` keep it so, in the same transaction as the entry,
whatever writes the entry (Xianfeng, a bulk load, a database administrator); Xianfeng never
writes it. On PostgreSQL the update of a row waits for any other transaction changing the
same member's total, so concurrent cards all count. A migration (0013) creates it and fills it
from the ledger; the test suite, which builds its schema from the models, calls
:func:`create` too.

This departs from the letter of the design rule "never update a balance in place; sum the
ledger", which guards against a balance that drifts from its entries. No code of Xianfeng
updates this table, and the database changes it only together with an entry, in the same
transaction. ``tests/models/test_card_totals.py`` checks it against the ledger's sums after
every kind of write. To go back to summing the ledger, change ``models.awards.with_year_total``
back and reverse migration 0013.

Raw SQL, not a model: Tortoise cannot declare triggers, and its autodetector must not manage
a table that only they write.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

TABLE = "card_total"

_CREATE_TABLE = f"""CREATE TABLE {TABLE} (
    member_id INT NOT NULL REFERENCES member (id) ON DELETE CASCADE,
    year SMALLINT NOT NULL,
    cards INT NOT NULL,
    PRIMARY KEY (member_id, year)
)"""

_SQLITE = (
    f"{_CREATE_TABLE} WITHOUT ROWID",  # the rows live in the primary key's B-tree
    f"""CREATE TRIGGER {TABLE}_insert AFTER INSERT ON point_card BEGIN
        INSERT INTO {TABLE} (member_id, year, cards) VALUES (new.member_id, new.year, new.amount)
        ON CONFLICT (member_id, year) DO UPDATE SET cards = cards + excluded.cards;
    END""",
    f"""CREATE TRIGGER {TABLE}_delete AFTER DELETE ON point_card BEGIN
        UPDATE {TABLE} SET cards = cards - old.amount
        WHERE member_id = old.member_id AND year = old.year;
    END""",
    f"""CREATE TRIGGER {TABLE}_update AFTER UPDATE OF member_id, year, amount ON point_card BEGIN
        UPDATE {TABLE} SET cards = cards - old.amount
        WHERE member_id = old.member_id AND year = old.year;
        INSERT INTO {TABLE} (member_id, year, cards) VALUES (new.member_id, new.year, new.amount)
        ON CONFLICT (member_id, year) DO UPDATE SET cards = cards + excluded.cards;
    END""",
)

_POSTGRES = (
    _CREATE_TABLE,
    f"""CREATE FUNCTION {TABLE}_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE {TABLE} SET cards = cards - OLD.amount
            WHERE member_id = OLD.member_id AND year = OLD.year;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO {TABLE} (member_id, year, cards) VALUES (NEW.member_id, NEW.year, NEW.amount)
            ON CONFLICT (member_id, year) DO UPDATE SET cards = {TABLE}.cards + EXCLUDED.cards;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER {TABLE}_follow AFTER INSERT OR DELETE OR UPDATE OF member_id, year, amount
        ON point_card FOR EACH ROW EXECUTE FUNCTION {TABLE}_follow()""",
)

# The entries written before the table existed.
_FILL = (f"INSERT INTO {TABLE} (member_id, year, cards) "
         "SELECT member_id, year, SUM(amount) FROM point_card GROUP BY member_id, year")


def _is_sqlite(client: BaseDBAsyncClient) -> bool:
    return client.capabilities.dialect == "sqlite"


async def create(client: BaseDBAsyncClient) -> None:
    """The table, its triggers and its rows for the ledger as it is. Statement by statement,
    never ``executescript``: that would commit a migration's transaction half-way."""
    for statement in (*(_SQLITE if _is_sqlite(client) else _POSTGRES), _FILL):
        await client.execute_query(statement)


async def drop(client: BaseDBAsyncClient) -> None:
    """Remove the table and its triggers: the migration's reverse."""
    if _is_sqlite(client):
        statements = [f"DROP TRIGGER IF EXISTS {TABLE}_{event}" for event in ("insert", "delete", "update")]
    else:
        statements = [f"DROP TRIGGER IF EXISTS {TABLE}_follow ON point_card",
                      f"DROP FUNCTION IF EXISTS {TABLE}_follow()"]
    for statement in (*statements, f"DROP TABLE IF EXISTS {TABLE}"):
        await client.execute_query(statement)
