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


def test_crlf_split_between_chunks_still_ends_a_frame():
    p = sse.SSEParser()
    assert p.feed(b"event: ping\r\ndata: {}\r\n\r") == []
    assert p.feed(b"\n") == [("ping", "{}")]


def test_an_endless_line_is_capped_not_held():
    """Issue 14 item 3: an unterminated line grew the buffer without end (100 MB: 406 MB RSS, quadratic)."""
    p = sse.SSEParser(max_frame_bytes=64 * 1024)
    fed = 0
    try:
        for _ in range(100):  # bounded: 100 x 1 KB is past the cap
            p.feed(b"x" * 1024)
            fed += 1024
    except sse.FrameTooLarge as exc:
        assert "without the end of an event" in str(exc)
    else:
        raise AssertionError("no FrameTooLarge")
    assert 64 * 1024 < fed + 1024 <= 66 * 1024 and p.pending == 0


def test_invalid_utf8_is_counted():
    p = sse.SSEParser()
    assert p.feed(b"event: x\ndata: \xff\xfe\n\n")[0][0] == "x"
    assert p.invalid_utf8 == 1


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_split_anywhere_gives_the_same_events(chunks):
    whole = b"".join(chunks)
    a, b = sse.SSEParser(), sse.SSEParser()
    one = a.feed(whole)
    many = [e for c in chunks for e in b.feed(c)]
    assert one == many and a.pending == b.pending
