"""Fieldwork for staff: issuing, printing and voiding access codes, and paper ballots
(forms handed out, keying once or twice, reconciling, importing a sheet)."""
