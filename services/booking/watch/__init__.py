"""Market watch: what CBO staff should look at now, in one answer (offers near their deadline,
shifts soon without their workers, expired offers nobody replaced, no-shows today, cascades
running or exhausted, workers whose reliability is falling), each with the action that
resolves it. Learns rebooking's cascades from its events."""
