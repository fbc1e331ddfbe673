"""SMS opt-outs per CBO and number: a STOP (or another opt-out keyword) from the provider's
incoming-message webhook stops every SMS to that number from that CBO until START."""
