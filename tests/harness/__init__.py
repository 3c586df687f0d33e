"""Building blocks shared by the template's test tiers and the smoke command."""
