"""The raw data contract drives the DDL and the reference document, and refuses bad definitions."""

import copy
import re

import pytest

from nexus_pipelines.cli import main
from nexus_pipelines.contract import (
    CONTRACT_PATH,
    REFERENCE_PATH,
    load_contract,
    parse_contract,
    render_reference,
    validate_identifier,
)
from nexus_pipelines.settings import load_yaml
from nexus_pipelines.warehouse import Warehouse

# The playbook areas the contract must cover (issue 2, section 1), one table each at least.
REQUIRED_TABLES = {
    "users", "events", "feature_usage", "invites", "products", "subscription_periods",
    "marketing_spend", "costs", "budgets", "cash_balances", "health_checks", "incidents",
    "deployments", "deployment_commits", "support_tickets", "nps_responses", "feedback_items",
    "experiments", "experiment_assignments", "experiment_outcomes", "campaigns",
    "campaign_targets", "content_posts", "data_subject_requests", "consents",
    "retention_policies", "vulnerability_findings", "host_patch_levels", "access_reviews",
    "training_assignments", "policy_acknowledgements", "controlled_documents",
    "control_evidence", "staff", "work_items",
}  # fmt: skip


def test_contract_covers_every_area_of_the_playbook() -> None:
    assert set(load_contract()) >= REQUIRED_TABLES


def test_reference_document_is_current() -> None:
    assert REFERENCE_PATH.read_text(encoding="utf-8") == render_reference(), (
        "docs/raw-data-contract.md is stale: run `nexus contract-docs`"
    )


def test_stale_reference_fails_the_check(tmp_path, monkeypatch, capsys) -> None:
    stale = tmp_path / "raw-data-contract.md"
    stale.write_text("# old\n")
    monkeypatch.setattr("nexus_pipelines.cli.REFERENCE_PATH", stale)
    assert main(["contract-docs", "--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_ddl_creates_every_table_with_its_columns_and_types(warehouse: Warehouse) -> None:
    tables = load_contract()
    with warehouse.get_connection() as connection:
        for table in tables.values():
            connection.execute(table.ddl())
        described = connection.execute(
            "select table_name, column_name, data_type, is_nullable "
            "from information_schema.columns where table_schema = 'raw'"
        ).fetchall()
    assert {row[0] for row in described} == set(tables)
    money = {(r[0], r[1]): r for r in described}[("invoices", "amount")]
    assert money[2] == "DECIMAL(18,2)" and money[3] == "NO"
    signup = {(r[0], r[1]): r for r in described}[("users", "signup_at")]
    assert signup[2] == "TIMESTAMP WITH TIME ZONE"


def document() -> dict:
    return copy.deepcopy(load_yaml(CONTRACT_PATH))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["tables"]["users"]["columns"][0].update(type="UUID"), "unknown type"),
        (lambda d: d["tables"]["users"]["columns"][0].update(name="User Id"), "not a valid"),
        (lambda d: d["tables"]["users"].update(key=["nope"]), "unknown columns"),
        (lambda d: d["tables"]["users"]["columns"][0].update(nullable=True), "nullable key"),
        (lambda d: d["tables"]["users"]["columns"][2].update(min=0), "numeric"),
        (lambda d: d["tables"]["users"].update(domain="nowhere"), "no owner"),
    ],
)
def test_bad_contract_definitions_are_refused(mutate, message: str) -> None:
    bad = document()
    mutate(bad)
    with pytest.raises(ValueError, match=message):
        parse_contract(bad)


@pytest.mark.parametrize("name", ["users; drop table x", "Users", "1users", "", "a" * 64])
def test_identifiers_from_configuration_are_validated(name: str) -> None:
    with pytest.raises(ValueError):
        validate_identifier(name, "test")


def columns_of(d: dict, table: str) -> dict[str, dict]:
    return {column["name"]: column for column in d["tables"][table]["columns"]}


@pytest.mark.parametrize(
    ("table", "column", "default", "message"),
    [
        ("users", "segment", "nope", "is not one of its allowed"),
        ("users", "acquisition_channel", None, "needs nullable: true"),
        ("users", "referrer_user_id", "1", "nullable column's default is null"),
        ("users", "signup_at", "2024-01-01", "only applies to VARCHAR"),
        ("products", "product_id", "p1", "a key column's default is a hash_of"),
        ("users", "acquisition_channel", {"hash_of": ["user_id"]}, "only applies to key"),
        ("events", "event_id", {"hash_of": ["nope"]}, "hash_of names ['nope']"),
        ("events", "event_id", {"hash_of": ["event_id"]}, "hash_of names ['event_id']"),
        ("events", "event_id", {"columns": ["user_id"]}, "a derived default is"),
        ("budgets", "month", {"hash_of": ["category"]}, "a derived key is one of"),
    ],
)
def test_bad_defaults_are_refused(table: str, column: str, default, message: str) -> None:
    bad = document()
    columns_of(bad, table)[column]["default"] = default
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_contract(bad)


WORK_ITEM_EXTRAS = (
    "title",
    "priority",
    "blocked_reason",
    "decision_needed",
    "linked_incident_id",
    "linked_feedback_id",
)


def test_optional_columns_and_their_defaults() -> None:
    """The columns no metric needs (or that have a natural value) may be left out of a file."""
    optional = {
        (table.name, column.name): column.default_text()
        for table in load_contract().values()
        for column in table.columns
        if column.optional
    }
    assert optional == {
        ("users", "referrer_user_id"): "empty",
        ("users", "plan"): "empty",
        ("users", "segment"): "`unknown`",
        ("users", "country"): "empty",
        ("users", "product_id"): "`main`",
        ("events", "event_id"): "hash of user_id, occurred_at, event_name, product_id",
        ("events", "product_id"): "`main`",
        ("subscription_periods", "period_id"): "hash of subscription_id, started_at",
        ("subscription_periods", "plan"): "`unknown`",
        ("subscription_periods", "billing_interval"): "empty",
        ("marketing_spend", "campaign"): "empty",
        ("costs", "product_id"): "empty",
        ("services", "product_id"): "empty",
        ("incidents", "title"): "empty",
        ("deployments", "environment"): "`production`",
        # a tracker's export may have only the flow times: the sprint plan ranks what it has
        **{("work_items", c): "empty" for c in WORK_ITEM_EXTRAS},
        ("stack_components", "used_by"): "empty",
        ("stack_components", "latest_version"): "empty",
        ("stack_components", "end_of_life"): "empty",
        ("market_signals", "signal_id"): "hash of observed_on, source, subject, summary",
        ("market_signals", "impact"): "`neutral`",
        ("market_signals", "strength"): "empty",
        ("market_signals", "source"): "empty",
        ("brand_mentions", "mention_id"): "hash of mentioned_at, channel, url",
        ("brand_mentions", "reach"): "empty",
        ("brand_mentions", "on_brand"): "empty",
        ("brand_mentions", "url"): "empty",
    }
    assert "| segment | VARCHAR | no |  | `unknown` |" in render_reference()
