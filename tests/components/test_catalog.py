"""TelemetryCatalog alone under mocks: Glue tables equal the schema, projection matches Firehose, Athena setup."""

import base64
import io
import re
from pathlib import Path

import pulumi
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from components import TelemetryCatalog
from components.catalog import customer_part_key, dimension_key, dimension_objects
from components.testing import ProgramResult, run_resources
from functions.shared import households, layout, queries, schema
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, generate_customers, generate_incidents
from lakewriter import customers

BUCKET = "lake-bucket"
TABLE = "aws:glue/catalogTable:CatalogTable"


@pytest.fixture(scope="module")
def catalog() -> ProgramResult:
    def program() -> dict:
        c = TelemetryCatalog(
            "catalog",
            {
                "bucket_name": BUCKET,
                "tables": list(schema.TABLES),
                "named_queries": list(queries.NAMED_QUERIES),
                "upload_dimensions": True,
                "description": schema.DATABASE_DESCRIPTION,
                "database_name": "acme_test",
                "workgroup_name": "acme-test",
                "bytes_scanned_cutoff_mb": 100,
                "projection_year_start": 2024,
                "customer_count": 20,
                "title_count": 10,
                "campaign_count": 5,
                "world_seed": 3,
            },
        )
        return {
            "database": c.database_name,
            "tables": c.table_names,
            "events": c.events_table_name,
            "events_arn": c.events_table_arn,
            "workgroup": c.workgroup_name,
            "queries": c.named_query_names,
        }

    return run_resources(program)


def tables_by_name(result: ProgramResult) -> dict[str, dict]:
    return {r.inputs["name"]: r.inputs for r in result.of_type(TABLE)}


def test_outputs_name_the_database_tables_and_workgroup(catalog: ProgramResult) -> None:
    assert catalog.outputs == {
        "database": "acme_test",
        "tables": [t.name for t in schema.TABLES],
        "events": "streaming_events",
        "events_arn": "arn:aws:glue:us-west-2:123456789012:table/acme_test/streaming_events",
        "workgroup": "acme-test",
        "queries": [q.name for q in queries.NAMED_QUERIES],
    }
    db = catalog.one("aws:glue/catalogDatabase:CatalogDatabase").inputs
    assert (db["name"], db["description"]) == ("acme_test", schema.DATABASE_DESCRIPTION)


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.name)
def test_glue_columns_equal_the_schema_definition_in_order(catalog: ProgramResult, table: schema.Table) -> None:
    glue = tables_by_name(catalog)[table.name]
    columns = [(c["name"], c["type"]) for c in glue["storageDescriptor"]["columns"]]
    assert columns == [(c.name, c.type) for c in table.columns]
    partitions = [(c["name"], c["type"]) for c in glue.get("partitionKeys") or []]
    assert partitions == [(c.name, c.type) for c in table.partition_keys]


def test_column_counts_match_the_seed_facts(catalog: ProgramResult) -> None:
    counts = {name: len(t["storageDescriptor"]["columns"]) for name, t in tables_by_name(catalog).items()}
    # The seed's titles table had 26 columns; issue 16 added series_id. incidents (issue 17) gained bitrate_permille.
    assert counts == {"streaming_events": 31, "customers": 21, "titles": 27, "campaigns": 35, "incidents": 17}


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.name)
def test_every_table_is_external_snappy_parquet_at_its_prefix(catalog: ProgramResult, table: schema.Table) -> None:
    glue = tables_by_name(catalog)[table.name]
    assert glue["tableType"] == "EXTERNAL_TABLE"
    assert glue["databaseName"] == "acme_test"
    params = glue["parameters"]
    assert (params["classification"], params["parquet.compression"], params["EXTERNAL"]) == (
        "parquet",
        "SNAPPY",
        "TRUE",
    )
    sd = glue["storageDescriptor"]
    assert sd["location"] == f"s3://{BUCKET}/{table.prefix}"
    assert sd["inputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert sd["outputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    assert sd["serDeInfo"]["serializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert ("projection.enabled" in params) == bool(table.partition_keys)


def test_events_table_projects_zero_padded_hours_from_the_first_year_up_to_now(catalog: ProgramResult) -> None:
    # Athena's date projection with the NOW token plans no partition in the future (Athena user guide, "How to use
    # the date type"); a 2024-2030 integer range planned 7 years of hours for any query without a partition filter.
    params = tables_by_name(catalog)["streaming_events"]["parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.year.type"] == "date" and params["projection.year.range"] == "2024,NOW"
    assert (params["projection.year.format"], params["projection.year.interval"]) == ("yyyy", "1")
    assert params["projection.year.interval.unit"] == "YEARS"
    for key, value_range in (("month", "1,12"), ("day", "1,31"), ("hour", "0,23")):
        assert params[f"projection.{key}.type"] == "integer"
        assert params[f"projection.{key}.range"] == value_range
        assert params[f"projection.{key}.digits"] == "2"
    assert params["storage.location.template"] == layout.projection_template(BUCKET)


@pytest.mark.parametrize("mode", layout.PARTITION_MODES)
def test_projection_template_and_firehose_prefix_resolve_to_the_same_key(catalog: ProgramResult, mode: str) -> None:
    """Render both for one timestamp: Athena must look exactly where Firehose writes."""
    stamp = "2026-03-07T05:09:59.123Z"
    values = layout.partition_values(stamp)
    template = tables_by_name(catalog)["streaming_events"]["parameters"]["storage.location.template"]
    athena_key = re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)
    timestamp_formats = {"yyyy": stamp[0:4], "MM": stamp[5:7], "dd": stamp[8:10], "HH": stamp[11:13]}
    firehose = layout.firehose_prefix(mode)
    firehose = re.sub(r"!\{partitionKeyFromQuery:(\w+)\}", lambda m: values[m.group(1)], firehose)
    firehose = re.sub(r"!\{timestamp:(\w+)\}", lambda m: timestamp_formats[m.group(1)], firehose)
    assert athena_key == f"s3://{BUCKET}/{firehose}"
    assert athena_key == f"s3://{BUCKET}/telemetry/year=2026/month=03/day=07/hour=05/"


def test_workgroup_enforces_engine_v3_encrypted_results_and_the_scan_cutoff(catalog: ProgramResult) -> None:
    wg = catalog.one("aws:athena/workgroup:Workgroup").inputs
    assert wg["name"] == "acme-test" and wg["forceDestroy"] is True and wg["state"] == "ENABLED"
    conf = wg["configuration"]
    assert conf["enforceWorkgroupConfiguration"] is True
    assert conf["publishCloudwatchMetricsEnabled"] is True
    assert conf["engineVersion"] == {"selectedEngineVersion": "Athena engine version 3"}
    assert conf["bytesScannedCutoffPerQuery"] == 100 * 1024 * 1024
    assert conf["resultConfiguration"] == {
        "outputLocation": f"s3://{BUCKET}/athena-results/",
        "encryptionConfiguration": {"encryptionOption": "SSE_S3"},
    }


def test_one_named_query_per_shared_query_with_the_database_filled_in(catalog: ProgramResult) -> None:
    saved = {r.inputs["name"]: r.inputs for r in catalog.of_type("aws:athena/namedQuery:NamedQuery")}
    assert set(saved) == {q.name for q in queries.NAMED_QUERIES}
    for q in queries.NAMED_QUERIES:
        assert saved[q.name]["query"] == q.sql("acme_test")
        assert (saved[q.name]["database"], saved[q.name]["workgroup"]) == ("acme_test", "acme-test")
    assert {"total_events", "events_by_type", "content_engagement"} <= set(saved)


def test_dimension_tables_are_uploaded_as_snappy_parquet_at_their_table_prefix(catalog: ProgramResult) -> None:
    objects = {r.inputs["key"]: r.inputs for r in catalog.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert set(objects) == {
        "customers/customers.parquet",
        "titles/titles.parquet",
        "campaigns/campaigns.parquet",
        "incidents/incidents.parquet",
    }
    rows = {"customers": 20, "titles": 10, "campaigns": 5, "incidents": len(generate_incidents(3))}
    for table in schema.DIMENSION_TABLES:
        obj = objects[customer_part_key(0) if table is schema.CUSTOMERS else dimension_key(table)]
        assert obj["bucket"] == BUCKET and obj["contentType"] == "application/vnd.apache.parquet"
        if table is schema.CUSTOMERS:  # uploaded from a file, not inlined
            assert isinstance(obj["source"], pulumi.FileAsset) and "contentBase64" not in obj
            data = Path(obj["source"].path).read_bytes()
        else:
            data = base64.b64decode(obj["contentBase64"])
        parquet = pq.ParquetFile(io.BytesIO(data))
        assert parquet.schema_arrow.names == list(table.column_names)
        assert parquet.metadata.num_rows == rows[table.name]
        assert parquet.metadata.row_group(0).column(0).compression == "SNAPPY"


def test_dimension_bytes_are_identical_for_the_same_seed_and_differ_for_another() -> None:
    dimension_objects.cache_clear()
    first = dict(dimension_objects(7, 15, 8, 4))
    dimension_objects.cache_clear()
    assert dict(dimension_objects(7, 15, 8, 4)) == first
    assert dict(dimension_objects(8, 15, 8, 4))["campaigns"] != first["campaigns"]
    other_world = dict(dimension_objects(7, 15, 8, 4, 2))
    assert other_world["incidents"] != first["incidents"] and other_world["titles"] == first["titles"]
    assert set(first) == {"titles", "campaigns", "incidents"}  # the customers table is uploaded in parts


def _customer_parts(result: ProgramResult) -> dict[str, dict]:
    return {
        r.inputs["key"]: r.inputs
        for r in result.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        if r.inputs["key"].startswith(schema.CUSTOMERS.prefix)
    }


def test_the_customers_table_is_uploaded_as_one_object_per_part_of_consecutive_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the cache is relative to the program's directory
    monkeypatch.setattr(customers, "CUSTOMERS_PER_PART", 8)
    args = {"bucket_name": BUCKET, "tables": list(schema.TABLES), "upload_dimensions": True, "customer_count": 20}
    result = run_resources(lambda: {"db": TelemetryCatalog("c", dict(args)).database_name})
    parts = _customer_parts(result)
    assert (
        sorted(parts)
        == [customer_part_key(k) for k in range(3)]
        == ["customers/customers.parquet", "customers/customers_00001.parquet", "customers/customers_00002.parquet"]
    )
    tables = [pq.read_table(parts[key]["source"].path) for key in sorted(parts)]
    assert [t.num_rows for t in tables] == [8, 8, 4]
    assert pa.concat_tables(tables).to_pylist() == generate_customers(20, DEFAULT_DIMENSION_SEED)
    assert all(not Path(p["source"].path).is_absolute() for p in parts.values())
    # The Glue table reads its prefix, which holds exactly the parts.
    location = tables_by_name(result)["customers"]["storageDescriptor"]["location"]
    assert location == f"s3://{BUCKET}/{schema.CUSTOMERS.prefix}" and all(
        k.startswith(schema.CUSTOMERS.prefix) for k in parts
    )
    assert {r.name for r in result.of_type("aws:s3/bucketObjectv2:BucketObjectv2")} >= {
        "c-customers-data",
        "c-customers-data-00002",
    }


def test_a_kept_lake_registers_the_largest_tables_parts_so_a_shrinking_table_drops_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(customers, "CUSTOMERS_PER_PART", 8)
    monkeypatch.setattr(households, "MAX_CUSTOMERS", 40)  # five parts of 8
    args = {"bucket_name": BUCKET, "tables": list(schema.TABLES), "upload_dimensions": True}
    rows = {}
    for count in (20, 12):  # customerCount shrinks: the same five resources, those past the table's end empty
        kept = {**args, "customer_count": count, "retain_objects_on_delete": True}
        parts = _customer_parts(run_resources(lambda a=kept: {"db": TelemetryCatalog("c", a).database_name}))
        assert sorted(parts) == [customer_part_key(k) for k in range(5)]
        tables = [pq.read_table(parts[key]["source"].path) for key in sorted(parts)]
        assert all(t.schema == tables[0].schema for t in tables)
        rows[count] = [t.num_rows for t in tables]
        assert pa.concat_tables(tables).to_pylist() == generate_customers(count, DEFAULT_DIMENSION_SEED)
    assert rows == {20: [8, 8, 4, 0, 0], 12: [8, 4, 0, 0, 0]}
    dropped = {**args, "customer_count": 12, "retain_objects_on_delete": False}  # Pulumi deletes what it drops
    assert len(_customer_parts(run_resources(lambda: {"db": TelemetryCatalog("c", dropped).database_name}))) == 2


def test_an_unchanged_config_uploads_the_same_part_files_without_making_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = {"bucket_name": BUCKET, "tables": list(schema.TABLES), "upload_dimensions": True, "customer_count": 30}
    first = _customer_parts(run_resources(lambda: {"db": TelemetryCatalog("c", dict(args)).database_name}))

    def no_generation(*a: object, **k: object) -> None:
        raise AssertionError("the parts were made again")

    monkeypatch.setattr(customers, "customer_part", no_generation)
    again = _customer_parts(run_resources(lambda: {"db": TelemetryCatalog("c", dict(args)).database_name}))
    (key,) = first
    assert again[key]["source"].path == first[key]["source"].path
    assert Path(again[key]["source"].path).read_bytes() == Path(first[key]["source"].path).read_bytes()
    assert {k: v for k, v in again[key].items() if k != "source"} == {
        k: v for k, v in first[key].items() if k != "source"
    }


def test_query_results_go_under_the_results_prefix_given() -> None:
    result = run_resources(
        lambda: {
            "wg": TelemetryCatalog(
                "c", {"bucket_name": BUCKET, "tables": [schema.STREAMING_EVENTS], "results_prefix": "query-output/"}
            ).workgroup_name
        }
    )
    config = result.one("aws:athena/workgroup:Workgroup").inputs["configuration"]
    assert config["resultConfiguration"]["outputLocation"] == f"s3://{BUCKET}/query-output/"
