"""On PostgreSQL the audit table itself refuses UPDATE and DELETE, whoever asks — raw SQL,
the ORM with its guards bypassed, a psql session under the app's role. (Other databases keep the
model- and queryset-level guards only.) Deleting a user or workspace never touches this table:
audit rows keep plain ids, no foreign keys, so no cascade reaches it.

TRUNCATE is left alone: it needs the table owner's rights (run the app under a role that does not own
its tables to take that away too), and the test runner empties tables with it between tests."""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION auditing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'auditing_auditevent is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS auditing_auditevent_append_only ON auditing_auditevent;
CREATE TRIGGER auditing_auditevent_append_only
    BEFORE UPDATE OR DELETE ON auditing_auditevent
    FOR EACH ROW EXECUTE FUNCTION auditing_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS auditing_auditevent_append_only ON auditing_auditevent;
DROP FUNCTION IF EXISTS auditing_refuse_change();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("auditing", "0002_webhooks"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
