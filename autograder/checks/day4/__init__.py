"""Hidden checks of DAY4."""
