"""Test-only additions to components/testing.py's mocks."""

from typing import Any

from components.testing import AwsMocks

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"


class ArnMocks(AwsMocks):
    """AwsMocks that also give alarms, topics and keys their ARNs."""

    def _computed(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        rid, out = super()._computed(typ, name, inputs)
        a, r = self.account_id, self.region
        physical = inputs.get("name") or f"{name}-0000000"
        arns = {
            ALARM: f"arn:aws:cloudwatch:{r}:{a}:alarm:{physical}",
            TOPIC: f"arn:aws:sns:{r}:{a}:{physical}",
            KEY: f"arn:aws:kms:{r}:{a}:key/00000000-0000-0000-0000-{len(name):012d}",
        }
        if typ in arns:
            out.update(arn=arns[typ], name=physical)
        return rid, out
