"""What Celery beat runs, and how often: the periodic sweeps every deployment needs."""

from __future__ import annotations


def beat_schedule(*, heartbeat_seconds: int) -> dict[str, dict[str, object]]:
    """Return ``CELERY_BEAT_SCHEDULE``.

    The heartbeat message expires if no worker takes it within its period, so stamps never
    pile up while workers are down.
    """
    return {
        # Return expired review leases to the pool (claims also do it lazily).
        "annotate-expire-leases": {
            "task": "annotate.tasks.assignment_expire_stale_task",
            "schedule": 60.0,
        },
        # Recompute agreement reports whose ratings changed; requeue or fail stuck ones.
        "reports-refresh-stale": {
            "task": "llmops_core.tasks.reports.report_refresh_stale_task",
            "schedule": 3600.0,
        },
        # Recompute scorecards and version comparisons whose ratings or judge scores changed.
        "version-reports-refresh": {
            "task": "llmops_core.tasks.versions.version_reports_refresh_task",
            "schedule": 300.0,
        },
        # Dispatch again every job whose message was lost or whose worker died: exports, imports,
        # pending reports, judge and generation runs (stale lease), judge reports.
        "jobs-resume-stale": {
            "task": "llmops_core.tasks.jobs.jobs_resume_stale_task",
            "schedule": 60.0,
        },
        # Route recent outputs a lost routing task missed; restart lost judge dispatchers.
        "routing-catch-up": {
            "task": "annotate.tasks.routing_catch_up_task",
            "schedule": 60.0,
        },
        # Delete export files past EXPORT_RETENTION_DAYS (the records stay), and parts folders of
        # parallel exports whose processes were all killed.
        "exports-expire": {
            "task": "llmops_core.tasks.exports.exports_expire_task",
            "schedule": 3600.0,
        },
        # Evaluate every active alert rule for the minute that just ended (one event per rule
        # and window end however often it runs), and send again deliveries whose retry is due.
        "alerts-evaluate": {
            "task": "llmops_core.tasks.alerts.alert_rules_evaluate_due_task",
            "schedule": 60.0,
            "options": {"expires": 60.0},
        },
        # Last week's drift report of every project with outputs; daily, idempotent per week.
        "drift-reports-weekly": {
            "task": "llmops_core.tasks.drift.drift_reports_schedule_task",
            "schedule": 86400.0,
        },
        # Re-check judges against fresh human ratings; once per judge version and day.
        "judges-recheck": {
            "task": "llmops_core.tasks.drift.judge_staleness_schedule_task",
            "schedule": 86400.0,
        },
        # A worker stamps the heartbeat row the health endpoint reports (GET /healthz/).
        "worker-heartbeat": {
            "task": "llmops_core.tasks.health.worker_heartbeat_stamp_task",
            "schedule": float(heartbeat_seconds),
            "options": {"expires": float(heartbeat_seconds)},
        },
    }
