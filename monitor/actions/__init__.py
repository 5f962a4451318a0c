"""Actions: validate what a user gives, then write it through db/ in the caller's transaction."""
