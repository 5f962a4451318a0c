"""Pure rules: facts in, verdicts out. No session, no clock, no I/O (docs/rules.md)."""
