"""The nginx parser and patcher on recorded `nginx -T` output (the format: a "# configuration file PATH:" line,
the file's text, one newline added by nginx), Debian's layout with includes, upstreams and awkward syntax."""

from __future__ import annotations

import pytest

from streamdoctor.fixes.nginx_conf import (
    MARK,
    NginxParseError,
    find_api_locations,
    listen_port,
    parse,
    patch_location,
    split_dump,
    streaming_directives,
    walk,
)

NGINX_CONF = """\
user www-data;
worker_processes auto;
pid /run/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;

events {
\tworker_connections 768;
}

http {
\tsendfile on;
\tgzip on;
\tgzip_types text/plain text/event-stream application/json;
\tproxy_set_header Host $host;
\tinclude /etc/nginx/conf.d/*.conf;
\tinclude /etc/nginx/sites-enabled/*;
}
"""

UPSTREAMS = """\
# Anthropic gateway for the data team (ticket OPS-1234)
upstream anthropic_api {
    server api.anthropic.com:443;
    keepalive 16;
}
"""

SITE = """\
server {
    listen 443 ssl;
    server_name llm-gw.corp.example;
    ssl_certificate /etc/ssl/gw.pem;  # "quoted; braces { } in a comment"
    add_header X-Note "semicolon; and {brace} inside quotes";

    location = /healthz { return 200 'ok'; }

    location ~ ^/v1/(messages|complete) {
        proxy_pass https://anthropic_api;
        proxy_set_header x-api-key ${ANTHROPIC_KEY_FROM_ENV};
        proxy_buffering on;
        proxy_read_timeout 60s;
    }
}

server {
    listen 8080;
    location / {
        proxy_pass http://127.0.0.1:9000;
    }
}
"""

DUMP = (
    "# configuration file /etc/nginx/nginx.conf:\n" + NGINX_CONF + "\n"
    + "# configuration file /etc/nginx/modules-enabled/50-mod-http-echo.conf:\n"
    + 'load_module modules/ngx_http_echo_module.so;' + "\n"
    + "# configuration file /etc/nginx/conf.d/anthropic-upstream.conf:\n" + UPSTREAMS + "\n"
    + "# configuration file /etc/nginx/sites-enabled/llm-gateway:\n" + SITE + "\n")


def test_split_dump_gives_each_file_its_exact_text():
    files = split_dump(DUMP)
    assert list(files) == ["/etc/nginx/nginx.conf", "/etc/nginx/modules-enabled/50-mod-http-echo.conf",
                           "/etc/nginx/conf.d/anthropic-upstream.conf", "/etc/nginx/sites-enabled/llm-gateway"]
    assert files["/etc/nginx/nginx.conf"] == NGINX_CONF
    assert files["/etc/nginx/modules-enabled/50-mod-http-echo.conf"] == "load_module modules/ngx_http_echo_module.so;"
    assert files["/etc/nginx/sites-enabled/llm-gateway"] == SITE


def test_parser_handles_quotes_comments_and_variables():
    tree = parse(SITE)
    names = [d.name for d in walk(tree)]
    assert names.count("server") == 2 and names.count("location") == 3
    note = next(d for d in walk(tree) if d.name == "add_header")
    assert note.args == ["X-Note", '"semicolon; and {brace} inside quotes"']
    key = next(d for d in walk(tree) if d.name == "proxy_set_header")
    assert key.args == ["x-api-key", "${ANTHROPIC_KEY_FROM_ENV}"]
    assert SITE[key.start:key.end] == "proxy_set_header x-api-key ${ANTHROPIC_KEY_FROM_ENV};"


@pytest.mark.parametrize("bad", ["server {", "location / { proxy_pass x; }}", "listen 80", 'add_header X "y;',
                                 "; x;"])
def test_broken_config_is_a_parse_error(bad):
    with pytest.raises(NginxParseError):
        parse(bad)


def test_finds_the_api_location_through_an_upstream():
    found = find_api_locations(split_dump(DUMP), "https://llm-gw.corp.example")
    assert [(f.file, f.location.args) for f in found] == [
        ("/etc/nginx/sites-enabled/llm-gateway", ["~", "^/v1/(messages|complete)"])]
    assert "anthropic_api" in found[0].why


def test_finds_the_location_serving_the_checked_port_when_the_upstream_is_internal():
    found = find_api_locations(split_dump(DUMP), "http://10.1.2.3:8080")
    assert [(f.location.args, f.proxy_pass) for f in found if "listen 8080" in f.why] == [
        (["/"], "http://127.0.0.1:9000")]


@pytest.mark.parametrize(("args", "port"), [(["8080"], 8080), (["127.0.0.1:8081"], 8081), (["[::]:443", "ssl"], 443),
                                            (["80", "default_server"], 80), (["127.0.0.1"], 80),
                                            (["unix:/run/gw.sock"], None)])
def test_listen_ports(args, port):
    assert listen_port(args) == port


def test_patch_replaces_in_place_adds_the_rest_and_keeps_everything_else():
    files = split_dump(DUMP)
    loc = find_api_locations(files, "https://llm-gw.corp.example")[0]
    text = files[loc.file]
    out = patch_location(text, loc.location, streaming_directives(600))
    assert "proxy_buffering on" not in out and "proxy_read_timeout 60s" not in out
    block = out[out.index("location ~"):out.index("}\n}", out.index("location ~"))]
    assert block.count("proxy_buffering off;") == 1 and block.count("proxy_read_timeout 600s;") == 1
    for line in ("gzip off;", "proxy_cache off;", "proxy_http_version 1.1;", 'proxy_set_header Connection "";',
                 "proxy_send_timeout 600s;", MARK):
        assert f"        {line}\n" in block  # the location's own indent
    # The location had its own proxy_set_header, so nothing is inherited and nothing extra is copied in.
    assert block.count("proxy_set_header") == 2
    untouched_before = text[:loc.location.start]
    assert out.startswith(untouched_before) and out.endswith(text[loc.location.end:])
    patched = next(d for d in walk(parse(out)) if d.name == "location" and d.args[0] == "~")
    again = patch_location(out, patched, streaming_directives(600))
    assert again == out  # patching a patched location changes nothing


def test_inherited_proxy_set_header_lines_are_copied_into_a_location_that_had_none():
    text = ("server {\n  listen 8080;\n  proxy_set_header Host api.anthropic.com;\n"
            "  proxy_set_header Connection keep-alive;\n  location / {\n    proxy_pass https://api.anthropic.com;\n"
            "  }\n}\n")
    loc = next(d for d in walk(parse(text)) if d.name == "location")
    out = patch_location(text, loc, streaming_directives(600))
    assert "    proxy_set_header Host api.anthropic.com;\n" in out  # kept working for this location
    assert out.count('proxy_set_header Connection "";') == 1
    assert "    proxy_set_header Connection keep-alive;" not in out  # replaced, not duplicated
