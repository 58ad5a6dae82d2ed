"""The load test's traffic: simulated reviewers and a lead, talking HTTP to the server."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

REQUEST_TIMEOUT = 30.0
MAX_REQUESTS = 20_000  # per reviewer: a bound on the loop besides the clock
SUBMIT_ATTEMPTS = 3  # the first send and two resends with the same client token
RETRY_PAUSE = 0.2
BUSY_PAUSE = 0.2  # the page waits 1.5 s; a reviewer at full speed asks again sooner
POLL_PAUSE = 0.25
STOP_REASONS = {"done", "quota", "closed", "paused"}
TERMINAL = {"succeeded", "failed", "cancelled"}


def preflight(database_url: str, redis_url: str) -> None:
    """Raise RuntimeError saying what is missing unless PostgreSQL and Redis both answer."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise RuntimeError(
            f"the load test needs PostgreSQL, and DATABASE_URL is {database_url!r}; "
            "set DATABASE_URL=postgres://user@host:5432/name"
        )
    import psycopg
    import redis

    admin_url = database_url.rpartition("/")[0] + "/postgres"
    try:
        psycopg.connect(admin_url, connect_timeout=5).close()
    except psycopg.Error as error:
        raise RuntimeError(f"PostgreSQL is not reachable at {admin_url}: {error}") from error
    try:
        with redis.Redis.from_url(redis_url, socket_connect_timeout=3) as client:
            client.ping()
    except redis.RedisError as error:
        raise RuntimeError(f"Redis is not reachable at {redis_url}: {error}") from error


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Return the nearest-rank percentile ``p`` (0-1) of already sorted values."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, int(p * len(sorted_values) + 0.5) - 1))
    return round(sorted_values[rank], 1)


class Api:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, authenticated by an API token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {
            "Authorization": f"Token {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one request; return the status and the JSON body (None if it is not JSON).

        Network failures and timeouts raise (``OSError``, ``http.client.HTTPException``).
        """
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        data = None if body is None else json.dumps(body).encode()
        try:
            self.conn.request(method, path, body=data, headers=self.headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass(frozen=True)
class Ack:
    """A submission the server acknowledged (201 created, or 200 for a resend)."""

    annotation: int
    item: int
    reviewer: str
    token: str
    scores: dict[str, int]
    created: bool


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    ok: int = 0
    acks: list[Ack] = field(default_factory=list)
    unanswered: set[tuple[str, str]] = field(default_factory=set)  # (reviewer, client token)
    retries: int = 0
    stopped: str = ""  # why the reviewer stopped before the clock did ("done", "quota", ...)


class Reviewer(threading.Thread):
    """A reviewer rating as the rating page does: the item on screen plus one prefetched."""

    def __init__(
        self,
        index: int,
        username: str,
        token: str,
        *,
        port: int,
        urls: dict[str, str],
        criteria: list[tuple[str, int, int]],
        rubric_version: int,
        deadline: float,
    ) -> None:
        super().__init__(name=f"reviewer-{username}", daemon=True)
        self.username = username
        self.api = Api(port, token)
        self.urls = urls
        self.criteria = criteria
        self.rubric_version = rubric_version
        self.deadline = deadline
        self.rng = random.Random(index)
        self.tally = Tally()

    def run(self) -> None:
        try:
            self.rate()
        except Exception:  # a bug here must show, not silently shrink the load
            self.tally.errors["client_crash"] += 1
            self.tally.stopped = "crashed: " + traceback.format_exc(limit=3)
        finally:
            self.api.close()

    def rate(self) -> None:
        held: list[int] = []  # item ids on screen and prefetched, in order
        prefetch_due = True
        for _ in range(MAX_REQUESTS):
            if time.monotonic() >= self.deadline:
                return
            if not held or (len(held) == 1 and prefetch_due):
                prefetch_due = False
                reason = self.claim(held)
                if not held:
                    if reason in STOP_REASONS:
                        self.tally.stopped = reason
                        return
                    time.sleep(BUSY_PAUSE)  # "busy", or the request failed
                continue
            self.submit(held.pop(0), held)
            prefetch_due = True

    def post(self, path: str, body: dict[str, Any]) -> tuple[int | None, Any]:
        """POST, timed; count any answer but 2xx as an error. Status None: no answer."""
        started = time.perf_counter()
        status: int | None = None
        payload: Any = None
        try:
            status, payload = self.api.call("POST", path, body)
        except TimeoutError:
            self.tally.errors["timeout"] += 1
        except (OSError, http.client.HTTPException) as error:
            self.tally.errors[f"connection ({type(error).__name__})"] += 1
        self.tally.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status is not None:
            if 200 <= status < 300:
                self.tally.ok += 1
            else:
                self.tally.errors[f"http {status}"] += 1
        return status, payload

    def accept(self, data: dict[str, Any], held: list[int]) -> str:
        """Hold the item an answer carries; return the reason when it carries none."""
        nxt = data.get("next")
        if nxt is None:
            return str(data.get("reason") or "")
        if nxt["item"] not in held:
            held.append(nxt["item"])
        return ""

    def claim(self, held: list[int]) -> str:
        status, data = self.post(self.urls["next"], {"holding": held})
        return self.accept(data, held) if status == 200 else "error"

    def scores_for(self, item: int) -> dict[str, int]:
        """Return scores that mostly agree between reviewers: each item has a "true" level."""
        scores = {}
        for name, low, high in self.criteria:
            level = low + (item * 7 + len(name)) % (high - low + 1)
            scores[name] = max(low, min(high, level + self.rng.choice((-1, 0, 0, 0, 0, 1))))
        return scores

    def submit(self, item: int, held: list[int]) -> None:
        token = str(uuid.uuid4())
        scores = self.scores_for(item)
        body = {
            "client_token": token,
            "scores": scores,
            "comment": "",
            "flags": [],
            "active_ms": self.rng.randint(4000, 40000),
            "rubric_version": self.rubric_version,
        }
        for attempt in range(SUBMIT_ATTEMPTS):
            status, data = self.post(
                self.urls["submit"].format(item), {**body, "holding": list(held)}
            )
            if status in (200, 201):
                annotation = data["annotation"]
                self.tally.acks.append(
                    Ack(
                        annotation["id"],
                        annotation["item"],
                        self.username,
                        token,
                        scores,
                        created=status == 201,
                    )
                )
                self.accept(data, held)
                return
            if status is not None and status < 500 and status != 429:
                return  # refused (e.g. 409: the lease expired and the item filled): not resent
            if attempt + 1 < SUBMIT_ATTEMPTS:
                self.tally.retries += 1
                time.sleep(RETRY_PAUSE * 2**attempt)
        self.tally.unanswered.add((self.username, token))


class Lead(threading.Thread):
    """A lead who asks for an agreement report and a ratings export mid-run, then polls both."""

    def __init__(
        self,
        *,
        port: int,
        token: str,
        urls: dict[str, str],
        queue: int,
        start_at: float,
        deadline: float,
    ) -> None:
        super().__init__(name="lead", daemon=True)
        self.api = Api(port, token)
        self.urls = urls
        self.queue = queue
        self.start_at = start_at
        self.deadline = deadline
        self.jobs: dict[str, dict[str, Any]] = {}

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        requests = {
            "report": (self.urls["reports"], {"queue_id": self.queue}, "?results=0"),
            "export": (
                self.urls["exports"],
                {"kind": "ratings", "format": "jsonl", "filters": {"queue_ids": [self.queue]}},
                "",
            ),
        }
        for name, (path, body, query) in requests.items():
            job: dict[str, Any] = {
                "status": "not started",
                "seconds": None,
                "error": "",
                "rows": None,
                "began": time.monotonic(),
            }
            self.jobs[name] = job
            try:
                status, data = self.api.call("POST", path, body)
            except (OSError, http.client.HTTPException) as error:
                job["error"] = f"POST {path}: {error!r}"
                continue
            if status != 202:
                job["error"] = f"POST {path} answered {status}: {data}"
                continue
            job.update(status=data["status"], poll=f"{path}{data['id']}/{query}")
        self.poll()
        self.api.close()

    def poll(self) -> None:
        waiting = [job for job in self.jobs.values() if "poll" in job]
        while waiting and time.monotonic() < self.deadline:
            for job in list(waiting):
                try:
                    status, data = self.api.call("GET", job["poll"])
                except (OSError, http.client.HTTPException):
                    continue  # asked again on the next round
                if status != 200:
                    continue
                job["status"] = data["status"]
                if data["status"] in TERMINAL:
                    job.update(
                        seconds=round(time.monotonic() - job["began"], 1),
                        error=data.get("error") or "",
                        rows=data.get("rows"),
                    )
                    waiting.remove(job)
            time.sleep(POLL_PAUSE)
        for job in waiting:
            job["error"] = f"still {job['status']} when the wait ran out"

    def results(self) -> dict[str, Any]:
        """Return ``<job>_status``, ``<job>_seconds`` and ``<job>_error`` for both jobs."""
        out: dict[str, Any] = {}
        for name in ("report", "export"):
            job = self.jobs.get(
                name,
                {
                    "status": "not started",
                    "seconds": None,
                    "error": "the lead never ran",
                    "rows": None,
                },
            )
            out.update(
                {
                    f"{name}_status": job["status"],
                    f"{name}_seconds": job["seconds"],
                    f"{name}_error": job["error"],
                }
            )
        out["export_rows"] = self.jobs.get("export", {}).get("rows")
        return out
