"""What and where: booking's sites and job types by name, and each booking's site and job type,
learnt from booking's events, so a message can say "Dish washing at Pier Cafe kitchen"."""
