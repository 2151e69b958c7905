"""People who sign in to the workspace: accounts, passwords, sessions, sign-in throttling."""
