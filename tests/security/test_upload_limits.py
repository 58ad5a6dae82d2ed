"""Uploads at the HTTP level: size limits, JSON bombs and wrong file types get clear errors.

A gigabyte body is never built: the WSGI tests hand Django a stream that makes zeros on
demand and counts what was read, and the socket test streams zeros to a real HTTP server
in this process until it answers. Either way the server must refuse from the Content-Length
alone, before reading the body, and this process must not grow by more than a few MB.
"""

from __future__ import annotations

import io
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.models import ModelOutput, Project
from llmops_core.services.tokens import token_create

GIB = 1 << 30
# This process may grow by at most this much while refusing a body (a refusal that read
# the body would grow by up to the body's size).
MAX_GROWTH = 40 * 1024 * 1024


class ZeroStream(io.RawIOBase):
    """A request body of ``size`` zero bytes, produced as read, counting what was read."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.remaining
        size = min(size, self.remaining, 1 << 20)  # a reader asking for everything gets 1 MiB
        self.remaining -= size
        self.bytes_read += size
        return b"\0" * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else 1 << 16)


def rss() -> int:
    return int(psutil.Process().memory_info().rss)


def post_unread(client: Client, path: str, content_type: str, **extra: Any) -> tuple[Any, int]:
    """POST a 1 GiB body that is produced only if read; return the response and bytes read."""
    stream = ZeroStream(GIB)
    environ = {
        "CONTENT_LENGTH": str(GIB),
        "CONTENT_TYPE": content_type,
        "wsgi.input": stream,
        **extra,
    }
    before, started = rss(), time.monotonic()
    response = client.generic("POST", path, b"", content_type, **environ)
    assert time.monotonic() - started < 5, "refusing the body took seconds: was it read?"
    assert rss() - before < MAX_GROWTH
    return response, stream.bytes_read


@pytest.fixture
def lead_client(api: APIClient, lead: Any) -> APIClient:
    _, key = token_create(user=lead, name="uploads")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


@pytest.mark.django_db
def test_a_gigabyte_import_upload_is_refused_unread(
    lead_client: APIClient, project: Project, settings: Any
) -> None:
    response, read = post_unread(
        lead_client,
        f"/api/projects/{project.slug}/imports/",
        "multipart/form-data; boundary=xyz",
    )
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert f"{settings.IMPORT_MAX_UPLOAD_BYTES:,} bytes" in detail
    assert "IMPORT_MAX_UPLOAD_BYTES" in detail
    assert read == 0


@pytest.mark.django_db
@pytest.mark.parametrize("media", ["application/x-ndjson", "application/json", "text/csv"])
def test_a_gigabyte_import_body_is_refused_unread(
    lead_client: APIClient, project: Project, settings: Any, media: str
) -> None:
    response, read = post_unread(lead_client, f"/api/projects/{project.slug}/outputs/", media)
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in detail
    assert "imports endpoint" in detail
    assert read == 0


@pytest.mark.django_db
def test_a_gigabyte_file_on_the_upload_form_is_refused_unread(
    client: Client, project: Project, lead: Any, settings: Any
) -> None:
    client.force_login(lead)
    response, read = post_unread(
        client, f"/p/{project.slug}/imports/new/", "multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 413
    assert f"{settings.IMPORT_MAX_UPLOAD_BYTES:,} bytes" in response.content.decode()
    assert read == 0


@pytest.mark.django_db
def test_a_chunked_body_without_length_is_refused_unread(
    lead_client: APIClient, project: Project
) -> None:
    """Django reads exactly Content-Length bytes: a chunked body would arrive empty."""
    stream = ZeroStream(GIB)
    response = lead_client.generic(
        "POST",
        f"/api/projects/{project.slug}/outputs/",
        b"",
        "application/x-ndjson",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream},
    )
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
    assert stream.bytes_read == 0


@pytest.fixture
def http_server() -> Iterator[tuple[str, int]]:
    """Serve the app over real HTTP on a free loopback port, in a thread of this process.

    The refusal happens before any database access, so no live-server database is needed.
    """
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_gigabyte_streamed_over_a_socket_is_refused_before_it_is_sent(
    http_server: tuple[str, int],
) -> None:
    """Stream zeros announced as 1 GiB; the answer must come before 64 MiB have gone out."""
    host, port = http_server
    head = (
        "POST /api/projects/demo/outputs/ HTTP/1.1\r\n"
        f"Host: {host}\r\nContent-Type: application/x-ndjson\r\n"
        f"Content-Length: {GIB}\r\nConnection: close\r\n\r\n"
    ).encode()
    chunk, sent, budget = b"\0" * 65536, 0, 64 * 1024 * 1024
    before, deadline = rss(), time.monotonic() + 20
    answer = b""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head)
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 0.5)
            if readable:
                break
            if writable and sent < budget:
                try:
                    sent += sock.send(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
        sock.shutdown(socket.SHUT_WR)
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    assert sent < budget, f"the server read {sent:,} bytes without answering"
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 413 " in status_line, answer[:300]
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in body["detail"]
    assert rss() - before < MAX_GROWTH


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("media", "body", "message"),
    [
        ("application/json", b"[" * 100_000, "row 1: nested deeper than 20 levels"),
        (
            "application/x-ndjson",
            b"[" * 100_000,
            "row 1: invalid JSON: nested deeper than 20 levels",
        ),
        (
            "application/json",
            ("{" + ",".join(f'"k{i}": 0' for i in range(1_200_000)) + "}").encode(),
            "row 1: record is longer than 1048576 characters",
        ),
        (
            "application/x-ndjson",
            ("{" + ",".join(f'"k{i}": 0' for i in range(1_200_000)) + "}").encode(),
            "row 1: line is longer than 1048576 bytes",
        ),
        (
            "application/json",
            json.dumps([{"external_id": "a", "input": "i", "output": "x" * 3_000_000}]).encode(),
            "row 1: record is longer than 1048576 characters",
        ),
    ],
    ids=["deep-array", "deep-line", "wide-object", "wide-line", "huge-string"],
)
def test_json_bombs_are_refused_with_the_row_and_reason(
    lead_client: APIClient, project: Project, media: str, body: bytes, message: str
) -> None:
    url = f"/api/projects/{project.slug}/outputs/"
    # The first import in a process loads modules worth 100+ MB; measure the bomb alone.
    assert lead_client.generic("POST", url, b"{}", media).status_code == 400
    before = rss()
    response = lead_client.generic("POST", url, body, media)
    assert response.status_code == 400
    data = response.json()
    assert message in [data["detail"], *data.get("errors", [])], data
    assert not ModelOutput.objects.exists()
    # Decoding the wide object whole would take about ten times its size (140 MB here); the
    # test client and the request hold the body itself a few times over, whatever the server does.
    assert rss() - before < MAX_GROWTH + 3 * len(body)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("picture.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "cannot tell the format"),
        ("rows.jsonl", b"\x1f\x8b\x08\0\0\0\0\0", "compressed files are not supported"),
        ("rows.jsonl", b"PK\x03\x04rest-of-a-zip", "compressed files are not supported"),
        ("rows.jsonl", b"", "empty"),
    ],
    ids=["png", "gzip", "zip", "empty"],
)
def test_a_file_of_the_wrong_type_is_refused_with_a_clear_error(
    lead_client: APIClient, project: Project, name: str, content: bytes, message: str
) -> None:
    response = lead_client.post(
        f"/api/projects/{project.slug}/imports/",
        {"file": _named(content, name)},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]


@pytest.mark.django_db
def test_a_binary_file_on_the_upload_form_gets_a_form_error(
    client: Client, project: Project, lead: Any
) -> None:
    client.force_login(lead)
    response = client.post(
        f"/p/{project.slug}/imports/new/", {"file": _named(b"\x89PNG\r\n\x1a\n", "a.png")}
    )
    assert response.status_code == 200
    assert "cannot tell the format" in response.content.decode()


@pytest.mark.django_db
def test_a_body_just_under_the_limit_is_still_read(
    lead_client: APIClient, project: Project, settings: Any
) -> None:
    """The guard refuses by size only: a small valid body goes through as before."""
    row = {"external_id": "ok", "input": "i", "output": "o"}
    body = json.dumps(row).encode()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    response = lead_client.generic(
        "POST", f"/api/projects/{project.slug}/outputs/", body, "application/json"
    )
    assert response.status_code == 201, response.content
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1
    response = lead_client.generic(
        "POST", f"/api/projects/{project.slug}/outputs/", body, "application/json"
    )
    assert response.status_code == 413


def _named(content: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


@pytest.mark.django_db
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_json_object_or_array_body_is_imported_through_the_streaming_reader(
    lead_client: APIClient, project: Project, bom: bytes
) -> None:
    url = f"/api/projects/{project.slug}/outputs/"
    one = {"external_id": "one", "input": "i", "output": "o"}
    two = [{**one, "external_id": "two"}, {**one, "external_id": "three"}]
    for body in (json.dumps(one, indent=2), json.dumps(two, indent=2)):
        response = lead_client.generic("POST", url, bom + body.encode(), "application/json")
        assert response.status_code == 201, response.content
    assert set(ModelOutput.objects.values_list("external_id", flat=True)) == {"one", "two", "three"}


def _unread_json(client: APIClient, path: str, size: int) -> tuple[Any, int]:
    """POST a JSON body of ``size`` bytes that is produced only if read."""
    stream = ZeroStream(size)
    response = client.generic(
        "POST", path, b"", "application/json", CONTENT_LENGTH=str(size), **{"wsgi.input": stream}
    )
    return response, stream.bytes_read


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["api-tokens", "api-rubrics", "api-exports", "api-reports"])
def test_an_endpoint_that_decodes_json_whole_takes_at_most_api_json_max_bytes(
    lead_client: APIClient, project: Project, settings: Any, name: str
) -> None:
    from django.urls import reverse

    kwargs = {} if name == "api-tokens" else {"project_slug": project.slug}
    path = reverse(name, kwargs=kwargs)
    size = settings.API_JSON_MAX_BYTES + 1
    response, read = _unread_json(lead_client, path, size)
    assert response.status_code == 413, response.content
    detail = response.json()["detail"]
    assert f"{size:,} bytes" in detail and "API_JSON_MAX_BYTES" in detail
    assert f"{settings.API_JSON_MAX_BYTES:,}" in detail
    assert read == 0


@pytest.mark.django_db
def test_dataset_inputs_and_imports_take_bodies_above_the_json_limit(
    lead_client: APIClient, project: Project, settings: Any
) -> None:
    settings.API_JSON_MAX_BYTES = 1024
    inputs = [{"question": f"How do I export case {i}? " + "x" * 40} for i in range(100)]
    body = json.dumps({"name": "big", "inputs": inputs})
    assert len(body) > settings.API_JSON_MAX_BYTES
    created = lead_client.post(
        f"/api/projects/{project.slug}/datasets/", body, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    rows = "\n".join(
        json.dumps({"external_id": f"o{i}", "input": "x" * 40, "output": "y" * 40})
        for i in range(30)
    )
    assert len(rows) > settings.API_JSON_MAX_BYTES
    imported = lead_client.post(
        f"/api/projects/{project.slug}/outputs/", rows, content_type="application/x-ndjson"
    )
    assert imported.status_code in (200, 201), imported.content
    small = lead_client.post(
        f"/api/projects/{project.slug}/rubrics/", "x" * 2000, content_type="application/json"
    )
    assert small.status_code == 413
