"""HTML pages of the annotation app, one module per page family; routes in ``annotate.urls``."""
