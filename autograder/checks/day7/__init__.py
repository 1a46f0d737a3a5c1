"""Hidden checks of DAY7."""
