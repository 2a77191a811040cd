"""Audit actions are declared once (``AuditAction``): the code records only members, the chain refuses
anything else, and a stored value is never renamed (the HMAC chain hashes it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from backend.core.audit import record_audit, verify_chain
from backend.core.audit_actions import AuditAction
from backend.core.models import AuditEvent
from backend.people.models.case import MarkKind
from backend.people.transitions import TRANSITIONS

ROOT = Path(__file__).resolve().parents[2]
CODE = [ROOT / "backend", ROOT / "notifications", ROOT / "gps_gateway"]

# The values the chain has stored since the first release, and a few added since.  Renaming one would make
# every old row a different event: add a member instead.
STORED = {
    "auth.login", "auth.login_failed", "auth.login_refused_locked", "auth.locked", "auth.logout",
    "auth.session_expired", "user.create", "user.update", "user.unlock", "user.read", "token.create",
    "token.revoke", "jurisdiction.create", "jurisdiction.rename", "db.backup", "crypto.rotate", "crypto.rewrap",
    "crypto.reencrypt", "person.create", "person.update", "person.list", "person.search", "person.read",
    "person.read_track", "person.grant", "person.grant_revoke", "team.list", "team.read", "team.add_member",
    "team.remove_member", "team.activate", "case.open", "case.update", "case.read", "case.read_marks",
    "case.read_emergencies", "case.placement", "case.emergency", "case.category", "case.aftercare_risk",
    "case.risk_level", "case.report", "case.end_term", "case.release", "case.terminate",
    "case.request_revocation", "case.reject_revocation", "case.start_leave", "case.end_leave",
    "case.report_lost_contact", "case.found", "case.detain", "case.end_detention", "case.hand_over",
    "case.end_period", "case.hospitalize", "case.discharge", "case.close", "device.provision", "device.update",
    "device.assign", "device.unassign", "device.reset_registration", "device.read_positions",
    "location_order.grant", "location_order.renew", "location_order.end", "zone.create", "zone.update",
    "zone.list", "zone.read", "zone.import_boundary", "alert.open", "alert.acknowledge",
    "alert.acknowledge_link", "alert.acknowledge_sms_reply", "alert.assign", "alert.resolve", "alert.escalate",
    "alert.list", "alert.read", "checkin.record", "checkin.app", "checkin.read", "checkin_plan.override",
    "checkin_plan.reset", "checkin_plan.refresh", "leave.create", "leave.retier", "leave.approve",
    "leave.reject", "leave.cancel", "leave.return", "leave.list", "leave.read", "sanction.create",
    "sanction.remedy", "sanction.list", "sanction.suggest", "sanction.suggestion.accept",
    "sanction.suggestion.dismiss", "followup.record", "followup.list", "positions.purge", "contact_point.set",
    "contact_point.remove", "routing_rule.create", "routing_rule.update", "routing_rule.delete",
    "report.person_file", "report.monthly", "report.alert_log",
    # location orders proposed, then decided in the system (Art. 29)
    "location_order.propose", "location_order.approve", "location_order.refuse", "location_order.withdraw",
    "location_order.expire", "location_order.list",
    # shared zone layers (a county's 禁入 places for many people)
    "zone_layer.create", "zone_layer.update", "zone_layer.assign", "zone_layer.unassign",
    # leave and sanction proposals decided in time by the deciding tier (approvals-supervision)
    "leave.expire", "sanction.propose", "sanction.approve", "sanction.refuse", "sanction.expire", "sanction.read",
    # spreadsheet import and list export (transfer)
    "person.import", "list.export",
}  # fmt: skip


def _modules():
    for folder in CODE:
        for path in sorted(folder.rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def _is_enum(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "AuditAction"


def _parameters_typed_as_actions(tree: ast.Module) -> set[str]:
    return {
        arg.arg
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for arg in [*fn.args.args, *fn.args.kwonlyargs]
        if arg.annotation is not None and ast.unparse(arg.annotation) == "AuditAction"
    }


def _refusals(expr: ast.AST, typed: set[str]) -> list[str]:
    """What in an ``action=`` expression is not a member: a literal, an f-string, an untyped name."""
    if isinstance(expr, ast.Attribute) and _is_enum(expr.value):
        return [] if expr.attr in AuditAction.__members__ else [ast.unparse(expr)]
    if isinstance(expr, ast.IfExp):
        return _refusals(expr.body, typed) + _refusals(expr.orelse, typed)
    if isinstance(expr, ast.Call) and _is_enum(expr.func):
        return []  # a family converted where it is recorded; the next test walks every family
    if isinstance(expr, ast.Name) and expr.id in typed:
        return []
    return [ast.unparse(expr)]


def test_every_action_recorded_by_the_code_is_a_member_of_the_enumeration():
    refused, calls = [], 0
    for path, tree in _modules():
        typed = _parameters_typed_as_actions(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _is_enum(node.value) and node.attr[0].isupper():
                assert node.attr in AuditAction.__members__, f"{path}: AuditAction.{node.attr}"
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "record_audit":
                calls += 1
                action = next(k.value for k in node.keywords if k.arg == "action")
                refused += [f"{path.relative_to(ROOT)}:{node.lineno}: {r}" for r in _refusals(action, typed)]
    assert calls > 80  # the walk found the call sites
    assert refused == []


def test_every_case_transition_mark_and_acknowledgement_channel_is_a_declared_audit_action():
    links = (ROOT / "notifications" / "links.py").read_text(encoding="utf-8")
    channels = set(re.findall(r'via="(\w+)"', links))
    assert channels == {"link", "sms_reply"}
    families = [
        *(f"case.{t.action}" for t in TRANSITIONS.values()),
        *(f"case.{kind}" for kind in MarkKind.values),
        *(f"alert.acknowledge_{via}" for via in channels),
    ]
    assert [value for value in families if value not in AuditAction.values] == []


def test_no_stored_audit_action_is_renamed_or_dropped():
    assert set(AuditAction.values) == STORED


def test_every_audit_action_has_its_own_chinese_label():
    labels = AuditAction.labels
    assert len(set(labels)) == len(labels)
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in labels)


@pytest.mark.django_db
def test_an_unknown_audit_action_is_refused_and_writes_nothing():
    record_audit(actor=None, action=AuditAction.DB_BACKUP)
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    for typo in ("alert.acknowledged", "test.event", ""):
        with pytest.raises(ValueError, match="未声明的审计事项"):
            record_audit(actor=None, action=typo)
    assert AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first() == head
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_member_is_stored_as_its_plain_string():
    event = record_audit(actor=None, action=AuditAction.ALERT_ACKNOWLEDGE_LINK)
    stored = AuditEvent.objects.get(pk=event.pk).action
    assert stored == "alert.acknowledge_link" and type(stored) is str and type(event.action) is str
    assert verify_chain().ok
