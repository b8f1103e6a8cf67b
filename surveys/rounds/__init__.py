"""Rounds for staff: set-up, the lifecycle (open, close and seal, publish, reopen) and the
follow-up of below-standard units (investigations, rectifications)."""
