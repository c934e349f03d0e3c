"""Behaviour ("conformance") suite of the generated storage package.

Written once, run against every backend registered in `harness.HARNESSES`.
"""
