"""Hidden checks of DAY5."""
