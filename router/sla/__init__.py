"""The regulated clocks after a ticket is made: their timers (warnings and breaches, fired once each by the
sla worker), the pause while the ticket waits for the client, and the re-review clock of a dispute."""
