"""What a load test found: stored ratings checked against acknowledgements, and its figures."""

from __future__ import annotations

from typing import Any

from bench.load_traffic import Ack, Reviewer, percentile

OVERLAP = 3


def verify(queue_id: int, acks: list[Ack], unanswered: set[tuple[str, str]]) -> dict[str, Any]:
    """Compare what the server acknowledged with what the database holds."""
    from collections import Counter, defaultdict

    from annotate.models import Annotation, QueueItem, Rating

    stored_rows = {
        pk: (item, reviewer, str(token))
        for pk, item, reviewer, token in Annotation.objects.filter(
            item__queue_id=queue_id
        ).values_list("id", "item_id", "reviewer__username", "client_token")
    }
    scores: dict[int, dict[str, int]] = defaultdict(dict)
    per_criterion: Counter[tuple[int, str]] = Counter()
    for annotation, criterion, score in Rating.objects.filter(
        annotation__item__queue_id=queue_id
    ).values_list("annotation_id", "criterion__name", "score"):
        scores[annotation][criterion] = score
        per_criterion[annotation, criterion] += 1
    acked = {ack.annotation: ack for ack in acks}  # a replayed submit names the same annotation
    stored = sum(
        1
        for pk, ack in acked.items()
        if stored_rows.get(pk) == (ack.item, ack.reviewer, ack.token)
        and scores.get(pk) == ack.scores
    )
    per_key = Counter((item, reviewer) for item, reviewer, _ in stored_rows.values())
    sent = {(ack.reviewer, ack.token) for ack in acks} | unanswered
    per_item = Counter(item for item, _, _ in stored_rows.values())
    items = list(QueueItem.objects.filter(queue_id=queue_id).values_list("id", "done_count"))
    return {
        "acknowledged": len(acked),
        "stored": stored,
        "lost": len(acked) - stored,
        "duplicates": sum(n - 1 for n in per_key.values() if n > 1)
        + sum(n - 1 for n in per_criterion.values() if n > 1),
        "unexpected": sum(
            1 for _, reviewer, token in stored_rows.values() if (reviewer, token) not in sent
        ),
        # Submits whose answer never arrived (timeouts) but which the server did store.
        "stored_unacknowledged": sum(
            1 for _, reviewer, token in stored_rows.values() if (reviewer, token) in unanswered
        ),
        # The queue has no adaptive overlap, so its overlap bounds every item.
        "over_overlap": sum(1 for pk, done in items if max(per_item[pk], done) > OVERLAP),
        "counter_drift": sum(1 for pk, done in items if per_item[pk] != done),
        "annotations": len(stored_rows),
        "ratings": sum(per_criterion.values()),
    }


def figures(load: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Summarise the reviewers' tallies: throughput, latency percentiles, errors."""
    from collections import Counter

    crowd: list[Reviewer] = load["crowd"]
    latencies = sorted(ms for r in crowd for ms in r.tally.latencies_ms)
    errors: Counter[str] = Counter()
    for reviewer in crowd:
        errors.update(reviewer.tally.errors)
    ok = sum(r.tally.ok for r in crowd)
    acks = sum(1 for r in crowd for ack in r.tally.acks if ack.created)
    elapsed = load["elapsed"]
    return {
        "reviewers": len(crowd),
        "seconds": seconds,
        "elapsed_s": round(elapsed, 1),
        "requests": len(latencies),
        "errors": sum(errors.values()),
        "errors_by_kind": dict(sorted(errors.items())),
        "throughput_rps": round(ok / elapsed, 1),
        "submits_per_s": round(acks / elapsed, 1),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "retries": sum(r.tally.retries for r in crowd),
        "replayed": sum(1 for r in crowd for ack in r.tally.acks if not ack.created),
        "stopped_early": dict(Counter(r.tally.stopped for r in crowd if r.tally.stopped)),
        "client_cpu_s": round(load["client_cpu_s"], 1),
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    r = result
    return [
        f"load test: {r['reviewers']} reviewers x {r['seconds']:g} s against gunicorn "
        f"({r['web_workers']} workers x {r['web_threads']} threads) + PostgreSQL + Redis + a "
        f"Celery worker ({r['worker_concurrency']} processes) on {r['cpus']} CPUs "
        f"(set-up {r['setup_s']} s)",
        f"requests {r['requests']} in {r['elapsed_s']} s: {r['throughput_rps']} rps "
        f"({r['submits_per_s']} ratings/s); latency p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
        f"p99 {r['p99_ms']} ms, max {r['max_ms']} ms",
        f"errors {r['errors']} {r['errors_by_kind']}; retries {r['retries']}, replayed "
        f"{r['replayed']}, stopped early {r['stopped_early'] or 'none'}",
        f"report {r['report_status']} in {r['report_seconds']} s; export {r['export_status']} in "
        f"{r['export_seconds']} s ({r['export_rows']} rows)",
        f"integrity: acknowledged {r['acknowledged']}, stored {r['stored']}, lost {r['lost']}, "
        f"duplicates {r['duplicates']}, unexpected {r['unexpected']}, over overlap "
        f"{r['over_overlap']}, counter drift {r['counter_drift']}, stored without an answer "
        f"{r['stored_unacknowledged']}",
    ]


def problems(result: dict[str, Any]) -> list[str]:
    """Return why the run failed (empty when it passed)."""
    found = [
        f"{result[key]} {key.replace('_', ' ')}"
        for key in ("lost", "duplicates", "unexpected", "over_overlap")
        if result[key]
    ]
    if not result["acknowledged"]:
        found.append("no submission was acknowledged")
    found += [
        f"the {job} ended {result[job + '_status']}: {result[job + '_error']}"
        for job in ("report", "export")
        if result[job + "_status"] != "succeeded"
    ]
    return found
