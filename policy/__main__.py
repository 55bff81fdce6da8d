"""The acme-telemetry policy pack: `pulumi preview --policy-pack policy`.

Each guardrail of `policy/rules.py` becomes a pulumi-policy ResourceValidationPolicy (one resource's type and
props) or StackValidationPolicy (all resources); the tests run the same rule functions on the resources the Pulumi
mocks capture.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from any directory: `policy` is a package

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.pack import policies

PolicyPack(name="acme-telemetry-guardrails", enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
