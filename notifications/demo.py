"""Demo notification settings (synthetic): every demo login reachable by SMS and e-mail at its demo
number and address, and one county rule — suspected absconding also goes to the police liaison."""

from __future__ import annotations

from django.db import transaction

from backend.core.models import Jurisdiction, Role, User
from notifications.actions import save_routing_rule, set_contact_point
from notifications.models import ContactPoint, RoutingRule

DEMO_COUNTY = "990102000000"


def seed(stdout) -> None:
    with transaction.atomic():
        made = 0
        for user in User.objects.filter(username__startswith="demo_").order_by("pk"):
            for channel, address in (("sms", user.mobile), ("email", user.email_address)):
                if address and not ContactPoint.objects.filter(user=user, channel=channel).exists():
                    set_contact_point(by=user, user=user, channel=channel, address=address)
                    made += 1
        county = Jurisdiction.objects.filter(code=DEMO_COUNTY).first()
        admin = User.objects.filter(username="demo_admin").first()
        if county and admin and admin.jurisdiction.contains(county) and not RoutingRule.objects.exists():
            save_routing_rule(by=admin, rule=RoutingRule(
                jurisdiction=county, name="疑似脱管同时通报公安联络员", kinds=["absconding"],
                role=Role.POLICE_LIAISON, channels=["sms", "inbox"]))  # fmt: skip
    stdout.write(f"演示联系方式 {made} 个")
