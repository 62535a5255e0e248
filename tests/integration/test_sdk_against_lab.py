"""The real anthropic SDK consumes the simulated API unchanged: the lab is only useful if this holds."""

import anthropic
import pytest

from streamdoctor.lab import LAB_API_KEY, REFUSED_API_KEY, LabRuntime, get_profile
from streamdoctor.lab.server import LAB_MODELS

MODEL = LAB_MODELS[0]
MSG = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def clean_lab():
    with LabRuntime(get_profile("clean")) as lab:
        yield lab


def client(url, key=LAB_API_KEY, **kw):
    return anthropic.Anthropic(api_key=key, base_url=url, **kw)


def test_stream_text_and_final_message(clean_lab):
    with client(clean_lab.url).messages.stream(model=MODEL, max_tokens=40, messages=MSG) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.startswith("The quick brown fox")
    assert len(text.split()) == 40
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 40
    assert final.model == MODEL


def test_raw_stream_events_include_pings_and_the_message_lifecycle(clean_lab):
    events = list(client(clean_lab.url).messages.create(model=MODEL, max_tokens=5, messages=MSG, stream=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert kinds.count("content_block_delta") == 5
    assert "message_delta" in kinds


def test_non_streaming_create_and_models_list(clean_lab):
    c = client(clean_lab.url)
    msg = c.messages.create(model=MODEL, max_tokens=3, messages=MSG)
    assert msg.content[0].text == "The quick brown"
    assert [m.id for m in c.models.list().data] == list(LAB_MODELS)
    assert c.models.retrieve(MODEL).id == MODEL


def test_refused_key_gets_the_api_401(clean_lab):
    with pytest.raises(anthropic.AuthenticationError) as err:
        client(clean_lab.url, key=REFUSED_API_KEY).messages.create(model=MODEL, max_tokens=3, messages=MSG)
    assert err.value.status_code == 401
    assert err.value.body["error"]["type"] == "authentication_error"


@pytest.mark.parametrize(("profile", "exc", "status"), [
    ("rate-limited", anthropic.RateLimitError, 429),
    ("overloaded", anthropic.InternalServerError, 529),
])
def test_status_profiles_raise_the_sdk_errors_with_retry_after(profile, exc, status):
    with LabRuntime(get_profile(profile)) as lab:
        c = client(lab.url, max_retries=1)
        with pytest.raises(exc) as err:
            c.messages.create(model=MODEL, max_tokens=3, messages=MSG)
        assert err.value.status_code == status
        assert err.value.response.headers["retry-after"] == "1"
        assert lab.api.stats.requests == 2  # the SDK retried once, as it does for 429/529


def test_mid_stream_error_event_becomes_an_api_error():
    with LabRuntime(get_profile("sse-error")) as lab:
        got = []
        with pytest.raises(anthropic.APIStatusError) as err:
            with client(lab.url).messages.stream(model=MODEL, max_tokens=100, messages=MSG) as stream:
                for text in stream.text_stream:
                    got.append(text)
        assert len(got) == 20
        assert "overloaded" in str(err.value).lower()


def test_midstream_reset_is_not_retried_by_the_sdk():
    """DESIGN.md: a reset after the stream started reaches the caller as a transport error, no retry."""
    with LabRuntime(get_profile("midstream-reset")) as lab:
        with pytest.raises(Exception) as err:
            with client(lab.url, max_retries=2).messages.stream(model=MODEL, max_tokens=400, messages=MSG) as s:
                for _ in s.text_stream:
                    pass
        assert "ReadError" in type(err.value).__name__ or "reset" in str(err.value).lower()
        assert lab.api.stats.streams_started == 1
