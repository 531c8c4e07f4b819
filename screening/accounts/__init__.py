"""Staff users, roles, sign-in, passwords, throttling and the user administration."""
