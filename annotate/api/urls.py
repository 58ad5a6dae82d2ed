"""API routes of the annotation app, mounted under /api/ by ``llmops_core.api.urls``."""

from django.urls import path

from annotate.api import calibration, queues, rating, review, routing

P = "projects/<slug:project_slug>/"
Q = P + "queues/<int:pk>/"
I = Q + "items/<int:item_id>/"  # noqa: E741

R = P + "routing-rules/"

urlpatterns = [
    path(R, routing.RoutingRuleListApi.as_view(), name="api-routing-rules"),
    path(R + "<int:pk>/", routing.RoutingRuleDetailApi.as_view(), name="api-routing-rule"),
    path(
        R + "<int:pk>/pause/",
        routing.RoutingRulePauseApi.as_view(paused=True),
        name="api-routing-rule-pause",
    ),
    path(
        R + "<int:pk>/resume/",
        routing.RoutingRulePauseApi.as_view(paused=False),
        name="api-routing-rule-resume",
    ),
    path(P + "queues/", queues.QueueListApi.as_view(), name="api-queues"),
    path(
        P + "calibration-queues/",
        calibration.CalibrationQueueCreateApi.as_view(),
        name="api-calibration-queues",
    ),
    path(
        P + "calibration-queues/preview/",
        calibration.CalibrationPreviewApi.as_view(),
        name="api-calibration-queue-preview",
    ),
    path(Q, queues.QueueDetailApi.as_view(), name="api-queue"),
    path(Q + "items/", queues.QueueItemsApi.as_view(), name="api-queue-items"),
    path(Q + "state/", queues.QueueStateApi.as_view(), name="api-queue-state"),
    path(Q + "reviewers/", review.QueueReviewersApi.as_view(), name="api-queue-reviewers"),
    path(Q + "pins/", review.QueuePinsApi.as_view(), name="api-queue-pins"),
    # The rating flow.
    path(Q + "next/", rating.NextItemApi.as_view(), name="api-queue-next"),
    path(Q + "undo/", rating.UndoApi.as_view(), name="api-queue-undo"),
    path(Q + "release/", rating.ReleaseApi.as_view(), name="api-queue-release"),
    path(Q + "progress/", rating.ProgressApi.as_view(), name="api-queue-progress"),
    path(Q + "annotations/", rating.MyAnnotationListApi.as_view(), name="api-queue-annotations"),
    path(I + "submit/", rating.SubmitApi.as_view(), name="api-item-submit"),
    path(I + "skip/", rating.SkipApi.as_view(), name="api-item-skip"),
    path(I + "renew/", rating.RenewApi.as_view(), name="api-item-renew"),
    path(P + "annotations/<int:pk>/", rating.AnnotationDetailApi.as_view(), name="api-annotation"),
    path(
        P + "annotations/<int:pk>/revisions/",
        rating.AnnotationRevisionListApi.as_view(),
        name="api-annotation-revisions",
    ),
    # Leads and adjudicators.
    path(I, review.QueueItemDetailApi.as_view(), name="api-item"),
    path(I + "gold/", review.GoldApi.as_view(), name="api-item-gold"),
    path(I + "adjudicate/", review.AdjudicateApi.as_view(), name="api-item-adjudicate"),
    path(
        Q + "adjudication/next/",
        review.AdjudicationNextApi.as_view(),
        name="api-queue-adjudication-next",
    ),
]
