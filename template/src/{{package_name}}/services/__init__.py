"""Business rules. No web-framework imports: errors are domain errors."""
