"""The reusable mocks in components.testing: invoke answers, computed outputs, recording, use outside pytest."""

import os
import subprocess
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from components.testing import AwsMocks, load_stack_config, resolve, run_program, run_resources
from stack import PROJECT_DIR as REPO_ROOT


def test_invokes_are_answered_in_the_shape_pulumi_aws_reads(aws_mocks: AwsMocks) -> None:
    identity = aws.get_caller_identity_output()
    region = aws.get_region_output()
    partition = aws.get_partition_output()
    values = resolve(
        {
            "account": identity.account_id,
            "arn": identity.arn,
            "region": region.region,
            "endpoint": region.endpoint,
            "partition": partition.partition,
            "suffix": partition.dns_suffix,
        }
    )
    assert values == {
        "account": "123456789012",
        "arn": "arn:aws:iam::123456789012:user/pulumi-test",
        "region": "us-west-2",
        "endpoint": "ec2.us-west-2.amazonaws.com",
        "partition": "aws",
        "suffix": "amazonaws.com",
    }
    assert sorted(token for token, _ in aws_mocks.calls) == [
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
        "aws:index/getRegion:getRegion",
    ]


def test_unknown_invoke_fails_with_its_token(aws_mocks: AwsMocks) -> None:
    with pytest.raises(Exception, match="AwsMocks has no answer for invoke 'aws:ec2/getVpc:getVpc'"):
        resolve(aws.ec2.get_vpc_output(default=True).id)


def test_resources_get_type_specific_arns_ids_and_are_recorded_with_their_parent() -> None:
    class Holder(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__("test:index:Holder", "holder")
            child = pulumi.ResourceOptions(parent=self)
            self.queue = aws.sqs.Queue("q", name="my-queue", opts=child)
            self.fn_role = aws.iam.Role("r", name="my-role", assume_role_policy="{}", opts=child)
            self.register_outputs({})

    def program() -> dict:
        holder = Holder()
        return {
            "url": holder.queue.url,
            "queue_arn": holder.queue.arn,
            "role_arn": holder.fn_role.arn,
            "queue_id": holder.queue.id,
        }

    result = run_resources(program, mocks=AwsMocks(account_id="111122223333", region="eu-central-1"))
    assert result.outputs == {
        "url": "https://sqs.eu-central-1.amazonaws.com/111122223333/my-queue",
        "queue_arn": "arn:aws:sqs:eu-central-1:111122223333:my-queue",
        "role_arn": "arn:aws:iam::111122223333:role/my-role",
        "queue_id": "https://sqs.eu-central-1.amazonaws.com/111122223333/my-queue",
    }
    holder = result.one("test:index:Holder")
    assert not holder.custom
    assert result.one("aws:sqs/queue:Queue").parent == holder.urn
    assert result.by_urn(holder.urn) is holder


def test_run_program_runs_a_project_from_another_directory_outside_pytest(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from components.testing import run_program\n"
        "project = sys.argv[1]\n"
        # a small world (batchSize 20, 5 campaigns): the dev stack's 22,500 customers and 1,500 campaigns cost 4 s
        # here and prove nothing more about where and how the program runs
        "small = {'batchSize': '20', 'campaignCount': '5'}\n"
        "print(run_program('dev', project, overrides=small).outputs['streamName'])\n"
        "try:\n"
        "    run_program('dev', project, overrides={'batchSize': '0'})\n"
        "except ValueError as err:\n"
        "    print(err.problems[0].split(' ')[0])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(REPO_ROOT)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["acme-telemetry-stream", "acme-telemetry:batchSize"]


def test_the_project_directory_is_always_the_callers() -> None:
    with pytest.raises(TypeError, match="project_dir"):
        run_program("dev")  # type: ignore[call-arg]
    with pytest.raises(FileNotFoundError, match=r"no stack config Pulumi.nosuch.yaml"):
        load_stack_config("nosuch", REPO_ROOT)
