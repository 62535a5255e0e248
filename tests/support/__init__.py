"""Helpers shared by test folders (real clients from package registries, sandboxes to run them in).

`tests/` is on sys.path (tests/conftest.py), so test modules write `from support.npm_clients import ...`.
"""
