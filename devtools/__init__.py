"""Development tools: run beside the portal on a developer's machine and in tests, never installed with it."""
