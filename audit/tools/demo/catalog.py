"""The things an Enclava deployment has: roles, e-mail domains, models, browsers,
budgets and settings."""

from __future__ import annotations

ROLES: dict[int, tuple[str, str]] = {
    1: ("read_only", "Read only"),
    2: ("user", "User"),
    3: ("admin", "Administrator"),
    4: ("super_admin", "Super administrator"),
}
ROLE_PERMISSIONS: dict[int, list[str]] = {
    1: ["audit:read", "models:list"],
    2: ["chat:use", "models:list", "api_keys:own", "rag:use"],
    3: ["chat:use", "models:list", "api_keys:any", "users:read", "budgets:manage"],
    4: ["*"],
}
DOMAINS = ("corp.example.com", "labs.example.com")
MODELS = (
    "llama-3.3-70b-instruct",
    "mistral-small-3.1-24b",
    "qwen2.5-coder-32b",
    "gemma-3-27b-it",
)
EMBED_MODEL = "bge-m3"
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/125.0.0.0 Safari/537.36",
)
CLI_AGENTS = ("python-requests/2.31.0", "curl/8.5.0", "enclava-cli/0.9.1")
BUDGETS = {
    1: "platform-monthly",
    2: "team-research-monthly",
    3: "team-support-monthly",
    4: "ci-pipeline-monthly",
    5: "sales-demo-weekly",
    6: "team-data-monthly",
}
SETTINGS = ("default_model", "rate_limit_rpm", "retention_days", "rag_chunk_size")
