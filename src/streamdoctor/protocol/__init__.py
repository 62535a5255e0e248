"""What the lab and the probes must agree on: the SSE wire format and the lab's header names and keys.

Lives apart from both so that no probe imports the lab (probes measure any server; the lab is only one of them).
"""
