"""HTML routes of the annotation app."""

from django.urls import path

from annotate import views

Q = "p/<slug:project_slug>/queues/<int:pk>/"

urlpatterns = [
    path("p/<slug:project_slug>/queues/new/", views.queue_new, name="queue-new"),
    path(Q, views.queue_detail, name="queue-detail"),
    path(Q + "rate/", views.rate, name="queue-rate"),
    path(Q + "adjudicate/", views.adjudicate, name="queue-adjudicate"),
]
