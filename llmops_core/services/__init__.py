"""Services: the only writers. Each validates, writes in one transaction, and enqueues on commit."""
