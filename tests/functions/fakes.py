"""Stand-ins for the AWS clients the generator takes as arguments."""

from __future__ import annotations


class RecordingLambda:
    """Accepts every asynchronous invoke, keeping its function and payload."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict:
        assert InvocationType == "Event"
        self.calls.append((FunctionName, Payload))
        return {"StatusCode": 202}

    def of(self, name: str) -> list[bytes]:
        return [p for f, p in self.calls if f == name]
