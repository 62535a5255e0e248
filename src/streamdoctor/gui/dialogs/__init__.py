"""Dialogs: the crash dialog and the fix preview."""
