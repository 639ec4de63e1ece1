"""policyeditor."""
