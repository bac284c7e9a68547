"""Request and response shapes of the province API (TMF v4 plus our extensions)."""
