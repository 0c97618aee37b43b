"""Tracking URIs: what messages may show of them, and which ones the program must refuse.

Shared by the settings (refused at load, with the file and key) and the registry client (refused
for env MLFLOW_TRACKING_URI too, which the settings never see).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def strip_credentials(uri: str) -> str:
    """The URI as messages show it: without any user:password@ part, query or fragment (a query may
    carry a token, ?token=...)."""
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment=""))


def tracking_uri_problem(uri: str) -> tuple[str, str] | None:
    """(what is wrong, fix) for a tracking URI the client must not use; None when it is usable.
    Messages show the URI with credentials stripped."""
    shown = strip_credentials(uri)
    if not uri.startswith(("http://", "https://")) or not urlsplit(uri).hostname:
        return (
            f"tracking URI {shown!r} is not an http(s) URL",
            "set stack config mlops-platform:mlflowTrackingUri (or env MLFLOW_TRACKING_URI) to the server's URL, "
            "e.g. http://127.0.0.1:5000",
        )
    parts = urlsplit(uri)
    base = shown.rstrip("/")
    if parts.username or parts.password:
        return (
            f"tracking URI {base} carries credentials (user:password@); they would be copied into every "
            "Deployment, plan.json and log",
            "remove them from the URI and store the token as a secret: "
            "`pulumi config set --secret mlflowToken <token>` (or env MLFLOW_TRACKING_TOKEN)",
        )
    if parts.fragment or "#" in uri or parts.query:
        # The query itself is not shown: it may hold a token (?token=...).
        return (
            f"tracking URI {base} has a query or '#' part: it looks like a page copied from the browser",
            f"use the server's base URL, e.g. {base}",
        )
    return None
