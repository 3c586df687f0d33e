"""Schema migrations of the service's Django app."""
