"""Card payments through Stripe Checkout: the session for a case, and Stripe's webhook."""
