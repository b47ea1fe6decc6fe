"""What people do on an ordinary day: chat, embeddings, reads, logins, changes, keys."""

from __future__ import annotations

from datetime import datetime

from audit.tools.demo.catalog import EMBED_MODEL, MODELS, SETTINGS
from audit.tools.demo.day import Day
from audit.tools.demo.people import Person
from audit.tools.demo.rows import Row, api_key_row, data_change_row, login_row, make_row

_CHAT_ERRORS = ("Upstream provider timeout", "Budget exceeded", "Model not available")
_READ_TYPES = ("api_key", "budget", "module", "setting", "user", "api_endpoint")


class HumanTraffic(Day):
    """One event of each kind a person causes, at time ``t``."""

    def _chat(self, p: Person, t: datetime) -> Row:
        rng = self.rng
        model = MODELS[int(rng.random() * len(MODELS))]
        ok = rng.random() > 0.03
        details = None
        if rng.random() > 0.05:
            details = {
                "model": model,
                "prompt_tokens": rng.randint(40, 3000),
                "completion_tokens": rng.randint(20, 1200) if ok else 0,
                "duration_ms": rng.randint(300, 20000),
            }
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "chat_completion",
            "/api/v1/chat" if rng.random() < 0.7 else "api_endpoint",
            model,
            f"Chat completion with {model}",
            details=details,
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info" if ok else "error",
            category=None if rng.random() < 0.9 else "user_action",
            success=ok,
            error_message=None if ok else rng.choice(_CHAT_ERRORS),
        )

    def _list_models(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "list_models",
            "/api/v1/models",
            None,
            "Listed available models",
            details={"count": len(MODELS) + 1},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
        )

    def _embed(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "create_embedding",
            "/api/v1/embeddings",
            EMBED_MODEL,
            f"Embeddings with {EMBED_MODEL}",
            details={"inputs": self.rng.randint(1, 64)},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
            category=None if self.rng.random() < 0.8 else "data",
        )

    def _read(self, p: Person, t: datetime) -> Row:
        rng = self.rng
        rtype = _READ_TYPES[int(rng.random() * len(_READ_TYPES))]
        rid = str(rng.randint(1, 40)) if rng.random() < 0.6 else None
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "read",
            rtype,
            rid,
            f"Viewed {rtype.replace('_', ' ')}" + (f" {rid}" if rid else " list"),
            details={"page": 1, "size": 50} if rid is None else {},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            category=None if rng.random() < 0.85 else "general",
            success=True,
            tags=None if rng.random() < 0.7 else [],
            metadata=None,
        )

    def _login(self, p: Person, t: datetime) -> Row:
        roll = self.rng.random()
        cat = "security" if roll < 0.85 else "authentication"
        row = login_row(t, p.id, True, self.ip[p.id], self.agent[p.id], self.session[p.id], cat)
        if roll >= 0.95:  # the main audit helper's copy: no category, severity "info"
            row.update(category=None, severity="info", tags=None, metadata=None)
        return row

    def _logout(self, p: Person, t: datetime) -> Row:
        return make_row(
            t,
            p.id,
            "logout",
            "user",
            str(p.id),
            "User logout",
            details={"logout_method": "manual" if self.rng.random() < 0.7 else "timeout"},
            session_id=self.session[p.id],
            severity="low",
            category="security",
            success=True,
            tags=["authentication", "logout"],
            metadata={},
        )

    def _update(self, p: Person, t: datetime) -> Row:
        rng = self.rng
        if rng.random() < 0.5:
            key = SETTINGS[int(rng.random() * len(SETTINGS))]
            old = {"key": key, "value": rng.randint(1, 9), "ui": {"theme": "light"}}
            new = {"key": key, "value": rng.randint(10, 99), "ui": {"theme": "dark"}}
            return data_change_row(t, p.id, "update", "setting", key, old, new)
        kid = rng.randint(100, 400)
        old = {"id": kid, "name": f"key-{kid}", "scopes": ["chat"], "rate_limit": 60}
        new = {"id": kid, "name": f"key-{kid}", "scopes": ["chat", "embeddings"], "rate_limit": 120}
        return data_change_row(t, p.id, "update", "api_key", str(kid), old, new)

    def _create(self, p: Person, t: datetime) -> Row:
        name = f"collection-{self.rng.randint(1, 300)}"
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "create",
            "/api/v1/rag/collections",
            name,
            f"Created collection {name}",
            new_values={"name": name, "documents": [], "settings": {"chunk_size": 512}},
            details={"name": name},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
        )

    def _raw_upload(self, p: Person, t: datetime) -> Row:
        doc = f"doc-{self.rng.randint(1000, 9999)}.pdf"
        return make_row(t, p.id, "create", "/api/v1/rag/documents", doc, f"Uploaded {doc}")

    def _delete(self, p: Person, t: datetime) -> Row:
        name = f"collection-{self.rng.randint(1, 300)}"
        old = {"name": name, "documents": [f"doc-{self.rng.randint(1000, 9999)}.pdf"]}
        path = "/api/v1/rag/collections"
        return data_change_row(t, p.id, "delete", path, name, old, None, f"Deleted {name}")

    def _key_model(self, p: Person, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        return api_key_row(t, p.id, "api_key_create", kid, f"{p.username}-key-{kid}")

    def _key_helper(self, p: Person, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "create_api_key",
            "api_key",
            str(kid),
            f"Created API key 'key-{kid}'",
            details={"api_key_name": f"key-{kid}", "scopes": ["chat"]},
            ip_address=ip,
            user_agent=ua,
            request_id=self._req(),
            severity="info",
            success=True,
        )

    def _key_delete(self, p: Person, t: datetime) -> Row:
        kid = self.rng.randint(100, 899)
        return api_key_row(t, p.id, "api_key_delete", kid, f"{p.username}-key-{kid}")

    def _audit_view(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        filters = {"action": "login"} if self.rng.random() < 0.3 else {}
        return make_row(
            t,
            p.id,
            "read",
            "/api/v1/audit",
            None,
            "Viewed audit logs",
            details={"page": self.rng.randint(1, 5), "size": 50, "filters": filters},
            ip_address=ip,
            user_agent=ua,
            severity="info",
            category="audit",
            success=True,
        )

    def _audit_export(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "read",
            "/api/v1/audit/export",
            "csv",
            "Exported audit logs (csv)",
            details={"format": "csv", "rows": 10_000},
            ip_address=ip,
            user_agent=ua,
            severity="low",
            category="audit",
            success=True,
            tags=["audit", "export"],
        )

    def _admin_list(self, p: Person, t: datetime) -> Row:
        ip, ua = self._web(p)
        return make_row(
            t,
            p.id,
            "read",
            "user",
            None,
            "Listed users",
            details={"page": 1, "size": 100},
            ip_address=ip,
            user_agent=ua,
            severity="info",
            category="user_management",
            success=True,
            tags=["user_management", "read"],
        )
