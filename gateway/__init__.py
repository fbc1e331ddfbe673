"""The gateway: the one HTTP door. /api/v1 JSON API, authentication, OpenAPI document,
the web app's static files, CORS for the embedded login box."""
