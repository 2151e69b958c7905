"""Reading customers and open invoices from spreadsheet files (pure rules, no database)."""
