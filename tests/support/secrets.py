"""Sign-in configured as Streamlit reads it (``secrets.toml``), and the simulated users of
each role it names."""

from __future__ import annotations

SECRETS = """
[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "test-only-secret"
client_id = "dashboard"
client_secret = "test-only"
server_metadata_url = "https://idp.invalid/.well-known/openid-configuration"

[audit.access]
analysts = ["ann@corp.example"]
viewers = ["vic@corp.example"]
"""
ANALYST = {"is_logged_in": True, "email": "ann@corp.example", "name": "Ann"}
VIEWER = {"is_logged_in": True, "email": "vic@corp.example", "name": "Vic"}
STRANGER = {"is_logged_in": True, "email": "eve@elsewhere.example", "name": "Eve"}
SIGNED_OUT = {"is_logged_in": False}
