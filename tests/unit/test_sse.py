import json

from hypothesis import given
from hypothesis import strategies as st

from streamdoctor.protocol import sse


def test_parser_reassembles_frames_split_anywhere():
    stream = sse.message_start("m", "x", 3) + sse.ping() + sse.text_delta("hi") + sse.message_stop()
    for cut in range(1, len(stream)):
        p = sse.SSEParser()
        events = p.feed(stream[:cut]) + p.feed(stream[cut:])
        assert [e for e, _ in events] == ["message_start", "ping", "content_block_delta", "message_stop"]
        assert json.loads(events[2][1])["delta"]["text"] == "hi"


def test_parser_accepts_crlf_and_comments():
    p = sse.SSEParser()
    assert p.feed(b": keepalive\r\n\r\nevent: ping\r\ndata: {}\r\n\r\n") == [("ping", "{}")]


@given(st.binary(max_size=2000))
def test_parser_never_raises_on_arbitrary_bytes(data):
    p = sse.SSEParser()
    p.feed(data)
    assert p.pending <= len(data)
