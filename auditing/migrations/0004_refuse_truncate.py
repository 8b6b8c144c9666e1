"""On PostgreSQL the audit table also refuses TRUNCATE (0003 covers UPDATE and DELETE), so that neither a
stray `manage.py flush` nor a bug empties the trail. A session that must empty it on purpose — an operator
purging a test installation, the test runner between tests — says so first:

    SET insightengine.allow_audit_truncate = 'on';

Someone with the table owner's rights can still drop the trigger; run the app under a role that does not
own its tables to take that away too."""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION auditing_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('insightengine.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'auditing_auditevent is append-only: TRUNCATE is not allowed'
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'SET insightengine.allow_audit_truncate = ''on'' in this session to empty it on purpose.';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS auditing_auditevent_no_truncate ON auditing_auditevent;
CREATE TRIGGER auditing_auditevent_no_truncate
    BEFORE TRUNCATE ON auditing_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION auditing_refuse_truncate();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS auditing_auditevent_no_truncate ON auditing_auditevent;
DROP FUNCTION IF EXISTS auditing_refuse_truncate();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("auditing", "0003_append_only_trigger"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
