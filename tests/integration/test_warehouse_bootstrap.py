"""The warehouse bootstrap creates every layer from sql/ on both engines, and can run again."""

import pytest
import sqlalchemy as sa

from etl import models, warehouse
from tests.conftest import ENGINES

LAYERS = {"raw", "staging", "core", "mart", "audit"}


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_bootstrap_creates_every_layer_and_is_idempotent(engine: sa.Engine) -> None:
    warehouse.bootstrap(engine)  # a second run must change nothing and not fail
    with engine.connect() as conn:
        schemas = set(conn.exec_driver_sql("select schema_name from information_schema.schemata").scalars())
        objects = {
            (f"{schema}.{name}", "view" if kind == "VIEW" else "table")
            for schema, name, kind in conn.exec_driver_sql(
                "select table_schema, table_name, table_type from information_schema.tables"
            )
        }
    assert LAYERS <= schemas
    for table in ["staging.hotline_ticket_versions", "audit.pulls", "audit.watermarks", "audit.quarantine",
                  "audit.processed_files", "raw.hotline_tickets"]:
        assert (table, "table") in objects, f"{table} missing after bootstrap"
    for model in models.discover():
        assert (model.name, model.materialization) in objects, f"{model.name} missing after bootstrap"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_upsert_replaces_rows_with_the_same_key(engine: sa.Engine) -> None:
    import pandas as pd

    frame = pd.DataFrame({
        "source": ["hotline", "events"],
        "watermark": pd.to_datetime(["2026-01-01 08:00", "2026-01-02 09:30"]),
        "pull_id": ["p1", "p1"],
        "updated_at": pd.to_datetime(["2026-01-03", "2026-01-03"]),
    })
    with engine.begin() as conn:
        warehouse.upsert(conn, "audit.watermarks", frame, ["source"])
        changed = frame.assign(pull_id=["p2", "p2"], watermark=pd.to_datetime(["2026-02-01", "2026-02-02"]))
        warehouse.upsert(conn, "audit.watermarks", changed.iloc[:1], ["source"])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("select source, pull_id, watermark from audit.watermarks order by source").all()
    assert [(r[0], r[1], str(r[2])[:16]) for r in rows] == [
        ("events", "p1", "2026-01-02 09:30"),
        ("hotline", "p2", "2026-02-01 00:00"),
    ]


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_upsert_with_newer_column_never_goes_back_in_time(engine: sa.Engine) -> None:
    import pandas as pd

    def watermark(value: str) -> pd.DataFrame:
        return pd.DataFrame({"source": ["hotline"], "watermark": pd.to_datetime([value]), "pull_id": [value],
                             "updated_at": pd.to_datetime(["2026-01-03"])})

    with engine.begin() as conn:
        warehouse.upsert(conn, "audit.watermarks", watermark("2026-03-01"), ["source"], newer_column="watermark")
        warehouse.upsert(conn, "audit.watermarks", watermark("2026-02-01"), ["source"], newer_column="watermark")
    with engine.connect() as conn:
        assert str(conn.exec_driver_sql("select watermark from audit.watermarks").scalar())[:10] == "2026-03-01"


@pytest.mark.parametrize("warehouse_url", ENGINES, indirect=True)
def test_every_mart_view_documents_its_grain_and_exactly_its_columns(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        for model in models.discover():
            if model.materialization != "view":
                continue
            schema, name = model.name.split(".")
            columns = list(conn.execute(sa.text(
                "select column_name from information_schema.columns where table_schema = :s and table_name = :t"
                " order by ordinal_position"), {"s": schema, "t": name}).scalars())
            assert model.grain, f"{model.name} has no -- @grain line"
            assert sorted(model.columns) == sorted(columns), f"{model.name}: documented columns differ"
