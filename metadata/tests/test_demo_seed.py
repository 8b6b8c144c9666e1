"""`seed_demo` registers the retail warehouse, syncs it and applies the curated dictionary."""
import pytest
from django.core.management import call_command

from metadata.models import DataSource, SchemaColumn, SchemaTable

pytestmark = pytest.mark.django_db


def test_seed_registers_syncs_and_describes_the_demo_warehouse(files_dir, monkeypatch, capsys, api_client):
    monkeypatch.setenv("DEMO_WAREHOUSE_ORDERS", "2000")
    call_command("seed_demo")
    ds = DataSource.objects.get(name="Demo retail warehouse")
    assert ds.is_default and ds.engine == "sqlite" and ds.read_only and ds.last_synced_at
    assert SchemaTable.objects.filter(data_source=ds, name="orders", kind="table").exists()
    email = SchemaColumn.objects.get(table__data_source=ds, table__name="customers", name="email")
    assert "PII" in email.tags and email.alias and email.description and email.sample_values == []
    orders = SchemaTable.objects.get(data_source=ds, name="orders")
    assert orders.alias and orders.description and orders.row_count == 2000
    versions_after_first = ds.dictionary_versions.count()

    call_command("seed_demo")  # idempotent: no second data source, no new dictionary versions
    assert DataSource.objects.filter(name="Demo retail warehouse").count() == 1
    assert ds.dictionary_versions.count() == versions_after_first
    assert "Demo data source" in capsys.readouterr().out

    from conftest import login

    tokens = login(api_client, "analyst@insightengine.local", "insight-analyst-2024")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    schema = api_client.get("/api/v1/schema").json()  # the analyst lands in the demo workspace
    assert {"customers", "orders", "order_items", "products"} <= {t["name"] for t in schema["tables"]}
