"""Each CBO's channels: its SMS provider account (credentials sealed at rest), the name and
reply-to address of its emails, and when shift reminders go out."""
