"""Hidden checks of DAY2."""
