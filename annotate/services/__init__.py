"""Services of the annotation app: the only writers of queues, leases, annotations and ratings."""
