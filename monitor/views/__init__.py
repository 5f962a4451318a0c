"""Views: evaluated clusters and words in; a table, JSON, iCalendar, Excel or HTML out. No session, no app."""
