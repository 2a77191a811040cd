"""Database triggers that make ``core_auditevent`` append-only, on SQLite and PostgreSQL.

They are installed by migration 0002.  ``remove_guards`` exists for two honest uses: the test that proves
``verify_audit`` catches an edit made behind the application's back, and the test runner's flush between
transactional tests.  Anyone who can drop a trigger can also edit rows; the HMAC chain is what catches that.
"""

from __future__ import annotations

SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_update",
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
]
POSTGRES_INSTALL = [
    """CREATE OR REPLACE FUNCTION core_auditevent_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'insufficient_privilege'; END $$""",
    """CREATE OR REPLACE TRIGGER core_auditevent_no_change BEFORE UPDATE OR DELETE ON core_auditevent
       FOR EACH ROW EXECUTE FUNCTION core_auditevent_refuse()""",
    """CREATE OR REPLACE TRIGGER core_auditevent_no_truncate BEFORE TRUNCATE ON core_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION core_auditevent_refuse()""",
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_change ON core_auditevent",
    "DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent",
]


def _statements(connection, install: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if connection.vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    raise NotImplementedError(f"audit guards for {connection.vendor}")


def install_guards(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=True):
            cursor.execute(sql)


def remove_guards(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, install=False):
            cursor.execute(sql)


def migration_install(apps, schema_editor) -> None:
    install_guards(schema_editor.connection)


def migration_remove(apps, schema_editor) -> None:
    remove_guards(schema_editor.connection)
