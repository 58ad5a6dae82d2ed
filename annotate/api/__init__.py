"""REST endpoints of the annotation app: queues, the rating flow, and review by leads."""
