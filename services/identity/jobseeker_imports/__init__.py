"""Job-seeker imports: a CSV of job seekers checked at once, then run in the background in
resumable chunks."""
