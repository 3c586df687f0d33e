"""Password hashing and token handling, free of web and database concerns."""
