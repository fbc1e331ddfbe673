"""Feature licences (EVV, automatic rebooking) the operator grants a CBO for a period; other
services ask `is_licensed` before they use a feature for a CBO."""
