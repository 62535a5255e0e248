"""Packet capture of our own test connections only: headers parsed, written as pcapng for IT's Wireshark.

Split so that the root side stays tiny: `linux.py` is the only code the privileged helper runs (an AF_PACKET
socket with a kernel BPF filter on one address and port); everything else runs unprivileged on what it returns.
"""
