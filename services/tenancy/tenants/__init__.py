"""CBO tenants: applications, the city's approval or rejection, suspension and reinstatement,
and the MOUs with the workforce nonprofit."""
