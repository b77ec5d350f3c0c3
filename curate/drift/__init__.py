"""drift: how far new production records have moved from a run's training set."""
