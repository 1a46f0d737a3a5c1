"""Hidden checks of DAY6."""
