"""Rare, detector-relevant events of the background: mistyped passwords, admin changes,
security events, password resets and budget overruns, a few a day however many rows are
written, and never so close together that they look like an attack."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from audit.tools.demo.catalog import BUDGETS, MODELS, ROLES, SETTINGS
from audit.tools.demo.clock import after
from audit.tools.demo.day import Day
from audit.tools.demo.people import SVC_CI_ID, Person, role_dict, user_dict
from audit.tools.demo.rows import (
    Row,
    admin_change_row,
    budget_row,
    login_row,
    make_row,
    module_row,
    permission_row,
    random_hex,
    security_row,
)


class RareEvents(Day):
    """A day's rare events (``rare``) and the kinds they are made of."""

    def rare(self, weights: Sequence[float], budget: int) -> list[Row]:
        """Detector-relevant events at a fixed daily rate, at most ``budget`` rows."""
        rng = self.rng
        weekday = (self.day_start + timedelta(hours=12)).weekday() < 5
        todo: list[Callable[[datetime], list[Row]]] = []
        todo += [self._mistype] * rng.choice((0, 1, 1, 2, 3) if weekday else (0, 0, 0, 1))
        todo += [self._admin_change] * rng.choice((0, 1, 1, 2, 3) if weekday else (0, 0, 1))
        todo += [self._security] * rng.choice((0, 0, 1, 1, 2))
        todo += [self._password_reset] * rng.choice((0, 0, 0, 0, 1))
        office = [*weights[:23], 0.0]  # leave the last hour free: follow-ups stay in the day
        out: list[Row] = []
        for fn in todo:
            t = self.day_start + timedelta(
                hours=rng.choices(range(24), office)[0], seconds=rng.random() * 3540
            )
            got = fn(t)
            if len(out) + len(got) <= budget:
                out += got
        for hour in rng.sample(range(24), rng.choice((0, 0, 0, 1, 1, 2))):
            if len(out) < budget:
                t = self.day_start + timedelta(hours=hour, seconds=rng.random() * 3599)
                out.append(self._budget_exceed(t))
        return out

    def _fail_ok(self, uid: int, ip: str, t: datetime) -> bool:
        near_ip = any(abs(t - x) < timedelta(minutes=15) for x in self.fail_ip.get(ip, ()))
        near_user = any(abs(t - x) < timedelta(minutes=90) for x in self.fail_user.get(uid, ()))
        return not (near_ip or near_user)

    def _mistype(self, t: datetime) -> list[Row]:
        rng, p = self.rng, self.pick_human(t)
        if p is None or self._is_quiet(p.id, after(t, 3)):
            return []
        ip, agent = self.ip[p.id], self.agent[p.id]
        if not self._fail_ok(p.id, ip, t):
            return []
        rows = []
        for _ in range(1 if rng.random() < 0.75 else 2):
            rows.append(login_row(t, p.id, False, ip, agent))
            t += timedelta(seconds=rng.uniform(6, 40))
        rows.append(login_row(t, p.id, True, ip, agent, self.session[p.id]))
        self.fail_ip.setdefault(ip, []).append(t)
        self.fail_user.setdefault(p.id, []).append(t)
        return rows

    def _password_reset(self, t: datetime) -> list[Row]:
        p = self.pick_human(t)
        if p is None:
            return []
        ip, ua = self.ip[p.id], self.agent[p.id]
        common = {"ip_address": ip, "user_agent": ua, "success": True}
        return [
            make_row(
                t,
                p.id,
                "password_reset",
                "user",
                str(p.id),
                "Password reset requested",
                details={"method": "email_link"},
                severity="info",
                category="user_action",
                **common,
            ),
            make_row(
                after(t, 4),
                p.id,
                "password_reset",
                "user",
                str(p.id),
                "Password reset completed",
                details={"method": "email_link"},
                severity="medium",
                category="authentication",
                **common,
            ),
        ]

    def _budget_exceed(self, t: datetime) -> Row:
        rng = self.rng
        who = self.pick_human(t)
        uid = who.id if who is not None else SVC_CI_ID
        bid = rng.randint(1, len(BUDGETS))
        return budget_row(
            t,
            uid,
            "budget_exceed",
            bid,
            limit_cents=20_000,
            period="monthly",
            spent_cents=20_000 + rng.randint(1, 500),
            model=rng.choice(MODELS),
        )

    def _security(self, t: datetime) -> list[Row]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.4:
            ip = f"192.0.2.{rng.randint(10, 60)}"
            sev = "medium" if rng.random() < 0.7 else "low"
            return [
                security_row(
                    t,
                    None,
                    "invalid_api_key",
                    "Request with invalid API key",
                    sev,
                    ip,
                    key_prefix=f"en_{random_hex(rng)[:6]}",
                )
            ]
        if roll < 0.75:
            ci = self.ci
            return [
                security_row(
                    t,
                    ci.id,
                    "rate_limit_exceeded",
                    "Rate limit exceeded",
                    "warning",
                    ci.vpn_ips[0],
                    limit_rpm=600,
                    observed_rpm=rng.randint(610, 900),
                )
            ]
        p = self.pick_human(t)
        if p is None:
            return []
        if roll < 0.97:
            return [
                security_row(
                    t,
                    p.id,
                    "csrf_token_mismatch",
                    "CSRF token mismatch",
                    "low",
                    self.ip[p.id],
                    path="/api/v1/settings",
                )
            ]
        return [
            security_row(
                t,
                p.id,
                "secret_in_prompt",
                "Possible secret sent in a prompt",
                "critical",
                self.ip[p.id],
                detector="regex:aws_key",
            )
        ]

    def _admin_change(self, t: datetime) -> list[Row]:
        admins = [p for p in self.active if p.group == "admin" and not self._is_quiet(p.id, t)]
        target = self.pick_human(t)
        if not admins or target is None:
            return []
        admin = self.rng.choice(admins)
        kind = self.rng.randrange(8)
        return [self._admin_kinds(kind, admin, target, t)]

    def _admin_kinds(self, kind: int, admin: Person, target: Person, t: datetime) -> Row:
        rng, uid, tid = self.rng, admin.id, str(target.id)
        if kind == 0:
            mfa = user_dict(target)
            mfa["profile"] = {**mfa["profile"], "mfa_enabled": True}
            return admin_change_row(
                t,
                uid,
                "update",
                "user",
                tid,
                user_dict(target),
                mfa,
                f"User {target.username} updated",
            )
        if kind == 1:
            new_role = 1 if target.role_id == 2 else 2
            return admin_change_row(
                t,
                uid,
                "role_change",
                "user",
                tid,
                user_dict(target),
                user_dict(target, role_id=new_role),
                f"Role of {target.username} changed to {ROLES[new_role][0]}",
            )
        if kind == 2:
            rpm = rng.choice((60, 90, 120))
            return admin_change_row(
                t,
                uid,
                "update",
                "role",
                "1",
                role_dict(1, rpm=rpm),
                role_dict(1, ["rag:use"], rpm=rpm),
                "Role read_only updated",
            )
        if kind in (3, 4):
            action = "permission_grant" if kind == 3 else "permission_revoke"
            perm = rng.choice(("rag:use", "budgets:view", "modules:view"))
            return permission_row(t, uid, action, target.id, perm)
        if kind == 5:
            key = rng.choice(SETTINGS)
            return make_row(
                t,
                uid,
                "system_config",
                "setting",
                key,
                f"Setting {key} changed",
                old_values={"value": rng.randint(1, 50)},
                new_values={"value": rng.randint(51, 99)},
                severity="medium",
                category="configuration",
                success=True,
                details={},
            )
        if kind == 6:
            action = rng.choice(("module_enable", "module_disable"))
            return module_row(t, uid, action, rng.choice(("cache", "workflow")))
        bid = rng.randint(1, len(BUDGETS))
        return budget_row(t, uid, "budget_update", bid, limit_cents=rng.choice((20_000, 50_000)))
