"""Inside the APP: webview embed mode, bridge events for the APP, cookies and CSRF (wired by embed.setup)."""
