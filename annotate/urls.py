"""HTML routes of the annotation app: queues, the rating page, adjudication, side-by-side."""

from django.urls import path

from annotate.views import builder, calibration, controls, pairwise, queues, routing

Q = "p/<slug:project_slug>/queues/<int:pk>/"

R = "p/<slug:project_slug>/routing/"

urlpatterns = [
    path(R, routing.routing_rule_list, name="routing-rules"),
    path(R + "new/", routing.routing_rule_new, name="routing-rule-new"),
    path(R + "<int:pk>/", routing.routing_rule_edit, name="routing-rule-edit"),
    path(R + "<int:pk>/pause/", routing.routing_rule_pause_view, name="routing-rule-pause"),
    path(R + "<int:pk>/history/", routing.routing_rule_history, name="routing-rule-history"),
    path("p/<slug:project_slug>/queues/new/", builder.queue_new, name="queue-new"),
    path(
        "p/<slug:project_slug>/queues/new/preview/",
        builder.queue_new_preview,
        name="queue-new-preview",
    ),
    path(
        "p/<slug:project_slug>/queues/new/calibration/",
        calibration.calibration_queue_new,
        name="calibration-queue-new",
    ),
    path(
        "p/<slug:project_slug>/queues/new/calibration/preview/",
        calibration.calibration_queue_preview,
        name="calibration-queue-preview",
    ),
    path(Q, queues.queue_detail, name="queue-detail"),
    path(Q + "rate/", queues.rate, name="queue-rate"),
    path(Q + "adjudicate/", queues.adjudicate, name="queue-adjudicate"),
    path(Q + "pairwise/", pairwise.pairwise, name="queue-pairwise"),
    path(Q + "controls/", controls.queue_controls, name="queue-controls"),
    path(
        Q + "controls/reviewers/",
        controls.queue_controls_reviewers,
        name="queue-controls-reviewers",
    ),
    path(Q + "controls/pins/", controls.queue_controls_pins, name="queue-controls-pins"),
    path(Q + "controls/gold/", controls.queue_controls_gold, name="queue-controls-gold"),
    path(
        Q + "controls/settings/", controls.queue_controls_settings, name="queue-controls-settings"
    ),
    path(Q + "controls/outputs/", controls.queue_controls_outputs, name="queue-controls-outputs"),
    path(Q + "controls/state/", controls.queue_controls_state, name="queue-controls-state"),
]
