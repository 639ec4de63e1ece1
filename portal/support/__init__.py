"""Talk to a person: 联系客服 conversations, the service desk, canned replies, the arbitration dossier."""
