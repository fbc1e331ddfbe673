"""Client organisations (the city, businesses, families that buy a CBO's workers' hours) and
their CSV import."""
