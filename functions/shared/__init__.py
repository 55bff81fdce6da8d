"""Definitions shared by the Lambda functions, the Pulumi components and the local pipeline.

Everything here runs on Lambda: standard library only (mimesis in `dimensions`).
"""
