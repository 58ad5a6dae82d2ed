"""HTML routes of the annotation app."""

from django.urls import path

from annotate import views
from annotate import views_queue_controls as controls

Q = "p/<slug:project_slug>/queues/<int:pk>/"

urlpatterns = [
    path("p/<slug:project_slug>/queues/new/", views.queue_new, name="queue-new"),
    path(Q, views.queue_detail, name="queue-detail"),
    path(Q + "rate/", views.rate, name="queue-rate"),
    path(Q + "adjudicate/", views.adjudicate, name="queue-adjudicate"),
    path(Q + "controls/", controls.queue_controls, name="queue-controls"),
    path(
        Q + "controls/reviewers/",
        controls.queue_controls_reviewers,
        name="queue-controls-reviewers",
    ),
    path(Q + "controls/pins/", controls.queue_controls_pins, name="queue-controls-pins"),
    path(Q + "controls/gold/", controls.queue_controls_gold, name="queue-controls-gold"),
]
