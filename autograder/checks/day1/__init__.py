"""Hidden checks of DAY1."""
