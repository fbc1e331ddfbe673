"""Booking: job types, shifts, availability search and eligibility, offers and confirmations,
cancellations, attendance outcomes and reliability."""
