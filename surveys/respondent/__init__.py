"""The anonymous questionnaire: a respondent enters a one-time code (or follows a QR link),
answers, and the code casts exactly one ballot. Nothing here keeps a session or writes the
audit trail."""
