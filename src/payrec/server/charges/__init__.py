"""Late charges on cases: charge lines, waivers, reference rates (issue 18)."""
