"""The agent's skills: each reads a message and, when it applies, plans the work."""
