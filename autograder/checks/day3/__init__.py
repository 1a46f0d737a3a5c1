"""Hidden checks of DAY3."""
