"""The audit trail: every staff action of every service, read by the CBO's permitted staff."""
