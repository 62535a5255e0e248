"""A classic BPF program that keeps only IPv4/TCP packets to or from one address and port.

Attached with SO_ATTACH_FILTER to the capture socket, so the kernel never hands the privileged helper any other
traffic of the laptop (the user's browsing, mail...). The capture socket is AF_PACKET/SOCK_DGRAM, so offsets
count from the IP header. The helper still checks every packet again in Python (packets queued before the
filter was attached).
"""

from __future__ import annotations

import ipaddress
import struct

# Opcodes (linux/filter.h)
_LD_B_ABS, _LD_H_ABS, _LD_W_ABS = 0x30, 0x28, 0x20
_LDX_B_MSH, _LD_H_IND = 0xB1, 0x48
_JEQ_K, _RET_K = 0x15, 0x06


def tcp_host_port_program(address: str, port: int, snaplen: int) -> list[tuple[int, int, int, int]]:
    """(code, jt, jf, k) instructions: accept `snaplen` bytes of TCP packets with address:port on either side."""
    addr = int(ipaddress.IPv4Address(address))
    return [
        (_LD_B_ABS, 0, 0, 9),          # 0: protocol
        (_JEQ_K, 0, 11, 6),            # 1: TCP? else drop (13)
        (_LD_W_ABS, 0, 0, 12),         # 2: source address
        (_JEQ_K, 2, 0, addr),          # 3: ours -> 6 (check source port)
        (_LD_W_ABS, 0, 0, 16),         # 4: destination address
        (_JEQ_K, 3, 7, addr),          # 5: ours -> 9 (check destination port), else drop
        (_LDX_B_MSH, 0, 0, 0),         # 6: X = IP header length
        (_LD_H_IND, 0, 0, 0),          # 7: source port
        (_JEQ_K, 3, 4, port),          # 8: -> accept (12) / drop (13)
        (_LDX_B_MSH, 0, 0, 0),         # 9
        (_LD_H_IND, 0, 0, 2),          # 10: destination port
        (_JEQ_K, 0, 1, port),          # 11: -> accept (12) / drop (13)
        (_RET_K, 0, 0, snaplen),       # 12: accept
        (_RET_K, 0, 0, 0),             # 13: drop
    ]


def pack_program(program: list[tuple[int, int, int, int]]) -> bytes:
    return b"".join(struct.pack("=HBBI", code, jt, jf, k) for code, jt, jf, k in program)


def run_program(program: list[tuple[int, int, int, int]], pkt: bytes) -> int:
    """Interpret the program on `pkt` (the subset used above): the kernel's answer, for tests and for the
    helper's second check."""
    a = x = 0
    pc = 0
    for _ in range(len(program) + 1):
        code, jt, jf, k = program[pc]
        try:
            if code == _LD_B_ABS:
                a = pkt[k]
            elif code == _LD_H_ABS:
                a = struct.unpack_from("!H", pkt, k)[0]
            elif code == _LD_W_ABS:
                a = struct.unpack_from("!I", pkt, k)[0]
            elif code == _LDX_B_MSH:
                x = (pkt[k] & 0x0F) * 4
            elif code == _LD_H_IND:
                a = struct.unpack_from("!H", pkt, x + k)[0]
            elif code == _JEQ_K:
                pc += 1 + (jt if a == k else jf)
                continue
            elif code == _RET_K:
                return k
            else:
                return 0
        except (IndexError, struct.error):
            return 0  # the kernel drops a packet whose load runs past its end
        pc += 1
    return 0
