"""What the service accounts and the system do: CI jobs, billing syncs, health checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from audit.tools.demo.catalog import BUDGETS, EMBED_MODEL, MODELS
from audit.tools.demo.day import Day
from audit.tools.demo.people import SVC_BILLING_ID, SVC_CI_ID, Person
from audit.tools.demo.rows import Row, budget_row, login_row, make_row, random_uuid


class ServiceTraffic(Day):
    """One event of each kind a service account or the system causes, at time ``t``."""

    def _via_key(self, p: Person) -> dict[str, Any]:
        rng = self.rng
        return {
            "ip_address": p.vpn_ips[int(rng.random() * len(p.vpn_ips))],
            "user_agent": p.agents[0],
            "request_id": random_uuid(rng),
            "metadata": {"api_key_id": 40 + p.id, "auth": "api_key"},
        }

    def _ci_chat(self, t: datetime) -> Row:
        rng, p = self.rng, self.ci
        model = MODELS[int(rng.random() * len(MODELS))]
        tokens = {
            "prompt_tokens": rng.randint(200, 6000),
            "completion_tokens": rng.randint(50, 900),
        }
        return make_row(
            t,
            p.id,
            "chat_completion",
            "/api/v1/chat",
            model,
            f"Chat completion with {model}",
            details={"model": model, **tokens},
            severity="info",
            success=True,
            **self._via_key(p),
        )

    def _ci_embed(self, t: datetime) -> Row:
        return make_row(
            t,
            SVC_CI_ID,
            "create_embedding",
            "/api/v1/embeddings",
            EMBED_MODEL,
            f"Embeddings with {EMBED_MODEL}",
            details={"inputs": self.rng.randint(16, 256)},
            severity="info",
            success=True,
            **self._via_key(self.ci),
        )

    def _ci_models(self, t: datetime) -> Row:
        return make_row(
            t,
            SVC_CI_ID,
            "list_models",
            "/api/v1/models",
            None,
            "Listed available models",
            severity="info",
            success=True,
            **self._via_key(self.ci),
        )

    def _ci_docs(self, t: datetime) -> Row:
        doc = f"build-{self.rng.randint(1, 99999)}.md"
        return make_row(
            t,
            SVC_CI_ID,
            "create",
            "/api/v1/rag/documents",
            doc,
            f"Uploaded {doc}",
            details={"collection": "engineering-docs"},
            severity="info",
            success=True,
            **self._via_key(self.ci),
        )

    def _svc_login(self, t: datetime) -> Row:
        p = self.ci if self.rng.random() < 0.6 else self.billing
        row = login_row(t, p.id, True, p.vpn_ips[0], p.agents[0], method="api_key")
        row["category"] = "authentication"
        return row

    def _billing_update(self, t: datetime) -> Row:
        bid = self.rng.randint(1, len(BUDGETS))
        row = budget_row(
            t,
            SVC_BILLING_ID,
            "budget_update",
            bid,
            spent_cents_delta=self.rng.randint(1, 900),
            source="usage_sync",
        )
        row.update(ip_address=self.billing.vpn_ips[0], user_agent=self.billing.agents[0])
        return row

    def _billing_read(self, t: datetime) -> Row:
        bid = self.rng.randint(1, len(BUDGETS))
        return make_row(
            t,
            SVC_BILLING_ID,
            "read",
            "budget",
            str(bid),
            f"Fetched usage of {BUDGETS[bid]}",
            details={"period": "monthly"},
            severity="info",
            success=True,
            **self._via_key(self.billing),
        )

    def _system(
        self,
        t: datetime,
        action: str,
        rtype: str,
        rid: str | None,
        text: str,
        severity: str = "low",
        **kw: Any,
    ) -> Row:
        """A system event as ``create_system_event`` writes it (user_id NULL)."""
        base: dict[str, Any] = {
            "severity": severity,
            "category": "system",
            "success": True,
            "tags": ["system", action],
            "details": {},
            "metadata": {},
        }
        return make_row(t, None, action, rtype, rid, text, **(base | kw))

    def _health(self, t: datetime) -> Row:
        ms = self.rng.randint(40, 900)
        return self._system(
            t,
            "health_check",
            "system",
            "privatemode-proxy",
            "Provider health check passed",
            details={"provider": "privatemode-proxy", "latency_ms": ms},
        )

    def _cleanup(self, t: datetime) -> Row:
        return self._system(
            t,
            "delete",
            "system",
            "sessions",
            "Expired sessions cleaned up",
            details={"deleted": self.rng.randint(0, 40)},
        )

    def _health_warning(self, t: datetime) -> Row:
        return self._system(
            t,
            "health_check",
            "system",
            "privatemode-proxy",
            "Provider latency above threshold",
            severity="warning",
            details={"latency_ms": self.rng.randint(3000, 9000), "threshold_ms": 2500},
        )

    def _health_error(self, t: datetime) -> Row:
        return self._system(
            t,
            "health_check",
            "system",
            "privatemode-proxy",
            "Provider health check failed",
            severity="error",
            success=False,
            error_message="upstream timeout after 30s",
        )

    def _expire_key(self, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        return self._system(
            t,
            "api_key_delete",
            "api_key",
            str(kid),
            f"Expired API key {kid} revoked",
            details={"reason": "expired"},
        )

    def _raw_system(self, t: datetime) -> Row:
        return make_row(t, None, "read", "/api/v1/health", None, "Health endpoint polled")
