"""Filters of inventory's own lists; what every list shares is in ``inventory.web.filters``."""
