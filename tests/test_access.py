"""Roles and masking: pure rules."""

from __future__ import annotations

import pytest

from audit.access import (
    SNAPSHOT_ROLE_ENV,
    SNAPSHOT_SECRET_ENV,
    AccessPolicy,
    Role,
    load_policy,
    mask_email,
    mask_ip,
    mask_row,
    mask_text,
    role_for,
)

POLICY = AccessPolicy(
    enabled=True,
    analysts=frozenset({"ann@corp.example", "@sec.example"}),
    viewers=frozenset({"vic@corp.example"}),
    role_claim="groups",
)


@pytest.mark.parametrize(
    ("user", "role"),
    [
        ({"is_logged_in": True, "email": "ann@corp.example"}, Role.ANALYST),
        ({"is_logged_in": True, "email": "Bob@SEC.example"}, Role.ANALYST),
        ({"is_logged_in": True, "email": "vic@corp.example"}, Role.VIEWER),
        ({"is_logged_in": True, "email": "eve@corp.example"}, Role.NONE),
        (
            {"is_logged_in": True, "email": "eve@corp.example", "groups": ["audit-viewer"]},
            Role.VIEWER,
        ),
        (
            {"is_logged_in": True, "email": "vic@corp.example", "groups": "audit-analyst"},
            Role.ANALYST,
        ),
        ({"is_logged_in": False, "email": "ann@corp.example"}, Role.NONE),
        ({}, Role.NONE),
    ],
)
def test_roles(user: dict, role: Role) -> None:
    assert role_for(POLICY, user) is role


def test_without_sign_in_everyone_is_an_analyst() -> None:
    assert role_for(AccessPolicy(enabled=False), {}) is Role.ANALYST


def test_policy_from_secrets_and_environment() -> None:
    secrets = {
        "auth": {"redirect_uri": "x"},
        "audit": {"access": {"analysts": ["A@x.example"], "role_claim": "roles"}},
    }
    policy = load_policy(env={"AUDIT_VIEWERS": "v@x.example, @y.example"}, secrets=secrets)
    assert policy.enabled and policy.analysts == {"a@x.example"}
    assert policy.viewers == {"v@x.example", "@y.example"} and policy.role_claim == "roles"
    assert not load_policy(env={}, secrets={}).enabled


RUN_SECRET = "a-random-secret-of-one-snapshot-run-0123456789"
SIGN_IN = {"auth": {"client_id": "x"}}


@pytest.mark.parametrize("secrets", [SIGN_IN, {}], ids=["sign-in", "no sign-in"])
@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_the_snapshot_role_is_drawn_for_the_run_secret_with_or_without_sign_in(
    secrets: dict, role: Role
) -> None:
    env = {SNAPSHOT_ROLE_ENV: role.value, SNAPSHOT_SECRET_ENV: RUN_SECRET}
    policy = load_policy(env=env, secrets=secrets)
    assert role_for(policy, {}, presented_secret=RUN_SECRET) is role


@pytest.mark.parametrize("presented", [None, "", "wrong", RUN_SECRET[:-1], RUN_SECRET + "x"])
def test_the_snapshot_role_needs_the_run_secret(presented: str | None) -> None:
    env = {SNAPSHOT_ROLE_ENV: "analyst", SNAPSHOT_SECRET_ENV: RUN_SECRET}
    policy = load_policy(env=env, secrets=SIGN_IN)
    assert role_for(policy, {"is_logged_in": False}, presented_secret=presented) is Role.NONE
    # without sign-in everyone is an analyst anyway: a viewer run's secret is what masks
    viewer_run = load_policy(env=env | {SNAPSHOT_ROLE_ENV: "viewer"}, secrets={})
    assert role_for(viewer_run, {}, presented_secret=presented) is Role.ANALYST


@pytest.mark.parametrize(
    "env",
    [
        {SNAPSHOT_ROLE_ENV: "analyst"},
        {SNAPSHOT_ROLE_ENV: "analyst", SNAPSHOT_SECRET_ENV: ""},
        {SNAPSHOT_ROLE_ENV: "analyst", SNAPSHOT_SECRET_ENV: "short"},
    ],
    ids=["no secret", "empty secret", "short secret"],
)
def test_a_leftover_snapshot_role_gives_a_signed_out_visitor_nothing(env: dict) -> None:
    policy = load_policy(env=env, secrets=SIGN_IN)
    for presented in (None, "", env.get(SNAPSHOT_SECRET_ENV)):
        assert role_for(policy, {"is_logged_in": False}, presented_secret=presented) is Role.NONE


def test_the_run_secret_is_not_in_the_policy_repr() -> None:
    env = {SNAPSHOT_ROLE_ENV: "viewer", SNAPSHOT_SECRET_ENV: RUN_SECRET}
    assert RUN_SECRET not in repr(load_policy(env=env, secrets=SIGN_IN))


@pytest.mark.parametrize("flag", [False, "false", "FALSE"])
def test_an_unverified_email_matches_no_email_or_domain_rule(flag: object) -> None:
    for email in ("ann@corp.example", "bob@sec.example", "vic@corp.example"):
        user = {"is_logged_in": True, "email": email, "email_verified": flag}
        assert role_for(POLICY, user) is Role.NONE
    claimed = {"is_logged_in": True, "email": "ann@corp.example", "email_verified": flag}
    assert role_for(POLICY, claimed | {"groups": ["audit-viewer"]}) is Role.VIEWER


@pytest.mark.parametrize("flag", [True, "true"])
def test_a_verified_email_matches_its_rules(flag: object) -> None:
    user = {"is_logged_in": True, "email": "bob@sec.example", "email_verified": flag}
    assert role_for(POLICY, user) is Role.ANALYST


def test_an_empty_auth_table_still_means_sign_in() -> None:
    # Streamlit treats any [auth] table as sign-in configured: never serve rows to anyone.
    policy = load_policy(env={}, secrets={"auth": {}})
    assert policy.enabled and role_for(policy, {}) is Role.NONE


def test_top_level_secrets_are_environment_variables_as_in_the_app() -> None:
    # Streamlit copies top-level string secrets into os.environ, over existing variables.
    secrets = {"auth": {"client_id": "x"}, "AUDIT_ANALYSTS": "ann@corp.example"}
    policy = load_policy(env={"AUDIT_ANALYSTS": "eve@corp.example"}, secrets=secrets)
    assert policy.analysts == {"ann@corp.example"}


def test_masking() -> None:
    assert mask_ip("203.0.113.9") == "203.0.113.x"
    assert mask_ip("2001:db8::1") == "2001:0db8:0000:x"
    assert mask_ip("<script>") == "(hidden)"
    assert mask_email("ann@corp.example") == "@corp.example"
    assert mask_email("svc-ci") == "(hidden)"
    assert (
        mask_text("40 failures from 192.0.2.203 against sofia@corp.example")
        == "40 failures from 192.0.2.x against @corp.example"
    )
    row = mask_row(
        {
            "email": "a@b.example",
            "ip_address": "198.51.100.7",
            "description": "by a@b.example",
            "action": "login",
        }
    )
    assert row == {
        "email": "@b.example",
        "ip_address": "198.51.100.x",
        "description": "by @b.example",
        "action": "login",
    }
