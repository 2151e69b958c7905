"""The customer page behind every reminder: links, the page and the customer's actions."""
