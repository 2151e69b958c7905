"""Late charges by law: reference rates, charge schemes, day-count interest across rate
periods and partial payments, fixed compensation, and the order payments are applied in."""
