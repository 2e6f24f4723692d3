from __future__ import annotations

from typing import Any

from shared.logs import REDACTED, redact_secrets, redact_text


def test_secret_keys_are_redacted_at_any_depth() -> None:
    event: dict[str, Any] = {
        "event": "placing order",
        "api_key": "AKIA123456",
        "headers": {"Authorization": "Bearer tb_abcdefghijkl", "Accept": "json"},
        "order_id": "o-1",
        "params": [{"secret": "s3cr3t-value"}],
    }
    out = redact_secrets(None, "info", event)
    assert out["api_key"] == REDACTED
    assert out["headers"] == {"Authorization": REDACTED, "Accept": "json"}
    assert out["params"] == [{"secret": REDACTED}]
    assert out["order_id"] == "o-1"


def test_inline_secrets_in_messages_are_redacted() -> None:
    text = "GET /api/v3/account?timestamp=1&signature=0123456789abcdef failed; Bearer tb_xyzxyzxyz"
    redacted = redact_text(text)
    assert "0123456789abcdef" not in redacted
    assert "tb_xyzxyzxyz" not in redacted
    assert "timestamp=1" in redacted
