"""One router per TMF resource family."""
