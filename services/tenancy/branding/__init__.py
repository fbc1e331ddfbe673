"""A CBO's branding, words, languages and time zone, its logo, its public page, and the
embeddable login box."""
