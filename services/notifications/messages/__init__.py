"""Messages: the templates in English, Spanish and Khmer with the CBO's words, and the delivery
log of every email and SMS (queued, sent, delivered, failed, skipped) with its retries."""
