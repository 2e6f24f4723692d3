"""Which public IP an egress route leaves by: asked of the operator's IP-echo service
(`TRADEBRIDGE_EGRESS_IP_ECHO_URL`) through the route's proxy.

The echo URL is a setting, never a caller's input. Its answer is trusted only if it is
one IP address as plain text. A failure is described without the proxy URL, which
carries the proxy's password (httpx can name the proxy in its messages).
"""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import unquote, urlsplit

import httpx

# An IP as text is at most 45 characters; anything much longer is not an echo answer.
MAX_ANSWER_BYTES = 100


class PublicIpCheckError(Exception):
    """The route's public IP could not be learnt; the message is safe to store and show."""


async def public_ip_through(proxy_url: str, echo_url: str, *, timeout_s: float) -> str:
    try:
        async with httpx.AsyncClient(
            proxy=proxy_url, timeout=timeout_s, trust_env=False, follow_redirects=False
        ) as http:
            # An overall deadline too: httpcore has none on a SOCKS handshake.
            response = await asyncio.wait_for(
                http.get(echo_url, headers={"Accept": "text/plain"}), 3 * timeout_s
            )
    except TimeoutError:
        raise PublicIpCheckError(
            f"no answer through the route within {3 * timeout_s:g} s"
        ) from None
    except httpx.HTTPError as exc:
        raise PublicIpCheckError(_scrubbed(exc, proxy_url)) from None
    if response.status_code != 200:
        raise PublicIpCheckError(f"the IP-echo service answered HTTP {response.status_code}")
    answer = response.content[: MAX_ANSWER_BYTES + 1]
    if len(answer) > MAX_ANSWER_BYTES:
        raise PublicIpCheckError("the IP-echo service's answer is not an IP address")
    try:
        return str(ipaddress.ip_address(answer.decode("ascii").strip()))
    except (UnicodeDecodeError, ValueError):
        raise PublicIpCheckError("the IP-echo service's answer is not an IP address") from None


def _scrubbed(exc: Exception, proxy_url: str) -> str:
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    parts = urlsplit(proxy_url)
    secrets = [proxy_url, parts.netloc]
    for part in (parts.password, parts.username):
        if part:
            secrets += [part, unquote(part)]
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "<proxy>")
    return message[:500]
