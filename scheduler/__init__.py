"""APScheduler wiring, the reminder jobs and the recurrence maths."""
