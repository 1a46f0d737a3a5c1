"""Hidden checks of DAY8."""
