"""HTML routes of the annotation app: queues, the rating page, adjudication, side-by-side."""

from django.urls import path

from annotate.views import controls, pairwise, queues

Q = "p/<slug:project_slug>/queues/<int:pk>/"

urlpatterns = [
    path("p/<slug:project_slug>/queues/new/", queues.queue_new, name="queue-new"),
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
]
