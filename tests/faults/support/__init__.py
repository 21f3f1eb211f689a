"""Machinery of the fault suite: worker processes, NATS nodes and clusters, the storm driver and its tally."""
