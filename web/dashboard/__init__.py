"""The dashboard: one HTML shell and hand-written static files under /dashboard, built on
the public /v1 API only (docs/dashboard.md)."""
