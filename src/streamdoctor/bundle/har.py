"""requests.har: the tests' HTTP exchanges as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), which
browsers' network panels and HAR viewers open. Built from every ProbeResult's data["exchanges"] after
redaction; bodies are never included (they are omitted, not empty: content.size 0 with a comment)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..model import Report

STATUS_TEXT = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
               407: "Proxy Authentication Required", 408: "Request Timeout", 429: "Too Many Requests",
               500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
               529: "Overloaded"}


def _iso(ts: float) -> str:
    ms = int(round((ts - int(ts)) * 1000)) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{ms:03d}Z"


def _headers(pairs: Any) -> list[dict[str, str]]:
    out = []
    for pair in pairs if isinstance(pairs, list) else []:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            out.append({"name": str(pair[0]), "value": str(pair[1])})
    return out


def _header(headers: list[dict[str, str]], name: str) -> str:
    return next((h["value"] for h in headers if h["name"].lower() == name), "")


def _number(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def entry(exchange: dict[str, Any], probe: str) -> dict[str, Any]:
    url = str(exchange.get("url") or "")
    version = str(exchange.get("http_version") or "HTTP/1.1")
    req_headers = _headers(exchange.get("request_headers"))
    resp_headers = _headers(exchange.get("response_headers"))
    try:
        query = [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)]
    except ValueError:
        query = []
    status = exchange.get("status")
    status_code = int(status) if isinstance(status, int) and not isinstance(status, bool) else 0
    wait = max(0.0, _number(exchange.get("time_ms")))
    out: dict[str, Any] = {
        "startedDateTime": _iso(_number(exchange.get("started"), time.time())),
        "time": round(wait, 3),
        "request": {
            "method": str(exchange.get("method") or "GET"), "url": url, "httpVersion": version,
            "cookies": [], "headers": req_headers, "queryString": query, "headersSize": -1, "bodySize": -1,
        },
        "response": {
            "status": status_code, "statusText": STATUS_TEXT.get(status_code, ""), "httpVersion": version,
            "cookies": [], "headers": resp_headers,
            "content": {"size": 0, "mimeType": _header(resp_headers, "content-type") or "x-unknown",
                        "comment": "body omitted by Stream Doctor"},
            "redirectURL": _header(resp_headers, "location"), "headersSize": -1, "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(wait, 3), "receive": 0},
        "comment": f"probe {probe}",
    }
    if exchange.get("error"):
        out["_error"] = str(exchange["error"])
    return out


def har_from_report(report: Report) -> dict[str, Any]:
    entries = []
    for r in report.results:
        exchanges = r.data.get("exchanges") if isinstance(r.data, dict) else None
        for ex in exchanges if isinstance(exchanges, list) else []:
            if isinstance(ex, dict):
                entries.append(entry(ex, r.probe))
    entries.sort(key=lambda en: en["startedDateTime"])
    return {"log": {"version": "1.2", "creator": {"name": "Stream Doctor", "version": report.app_version or "0"},
                    "pages": [], "entries": entries,
                    "comment": "HTTP exchanges of the Stream Doctor checks; secret header values redacted, "
                               "bodies omitted."}}
