"""A minimal GitHub REST client: one pull-request comment, found again by a hidden marker."""
