"""Egress routes through the admin API: created with a sealed proxy URL that no response
ever shows, assigned to credentials by the operator alone, retired only when unused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest
from structlog.testing import capture_logs

from shared.egress import open_proxy_url
from shared.sealing import UnsealError, load_private_key
from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import create_credential, error_of, fetch_all

PASSWORD = "s3cret-pr0xy-pass"
PROXY_URL = f"http://route-user:{PASSWORD}@203.0.113.10:3128"


async def create_route(
    admin: httpx.AsyncClient, name: str, proxy_url: str = PROXY_URL
) -> dict[str, Any]:
    response = await admin.post(
        "/v1/admin/egress-routes", json={"name": name, "proxy_url": proxy_url}
    )
    assert response.status_code == 201, response.text
    route: dict[str, Any] = response.json()
    return route


async def test_a_route_is_sealed_and_its_url_never_comes_back(web: WebServer) -> None:
    with capture_logs() as logs:
        async with web.admin() as admin:
            created = await create_route(admin, "fra-1")
            listed = await admin.get("/v1/admin/egress-routes")
            fetched = await admin.get("/v1/admin/egress-routes/fra-1")

    assert created["proxy"] == "http://203.0.113.10:3128"
    assert created["public_ip"] == "unknown"
    assert created["public_ip_seen_at"] is None
    assert created["assigned_credentials"] == 0
    assert [route["name"] for route in listed.json()] == ["fra-1"]
    assert fetched.json()["id"] == created["id"]
    for text in (str(created), listed.text, fetched.text, repr(logs)):
        assert PASSWORD not in text
        assert "route-user" not in text

    # The stored blob opens with the worker's private key, bound to this route only.
    (sealed, key_id), *_ = await fetch_all(
        web.db_url, "SELECT sealed_proxy_url, key_id FROM egress_routes WHERE name = 'fra-1'"
    )
    assert key_id == web.keys.key_id
    private_key = load_private_key(web.keys.private_key_b64)
    assert open_proxy_url(bytes(sealed), private_key, uuid.UUID(created["id"])) == PROXY_URL
    with pytest.raises(UnsealError):
        open_proxy_url(bytes(sealed), private_key, uuid.uuid4())
    assert PASSWORD.encode() not in bytes(sealed)


@pytest.mark.parametrize(
    ("proxy_url", "why"),
    [
        ("ftp://203.0.113.10:21", "scheme"),
        ("socks4://203.0.113.10:1080", "scheme"),
        ("http://203.0.113.10", "port"),
        (f"http://u:{PASSWORD}@203.0.113.10", "port"),
        ("http://:3128", "host"),
        ("http://203.0.113.10:3128/path", "path"),
        ("http://203.0.113.10:3128?q=1", "path"),
        (f"http://u:{PASSWORD}@203.0.113.10:99999", "valid URL"),
        ("http://203.0.113.10:3128 x", "spaces"),
        ("203.0.113.10:3128", "scheme"),
    ],
)
async def test_a_proxy_url_we_cannot_use_is_refused_naming_the_field(
    web: WebServer, proxy_url: str, why: str
) -> None:
    async with web.admin() as admin:
        response = await admin.post(
            "/v1/admin/egress-routes", json={"name": "bad-1", "proxy_url": proxy_url}
        )
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert [detail["field"] for detail in error["details"]] == ["proxy_url"]
    assert why in error["message"]
    assert PASSWORD not in response.text


@pytest.mark.parametrize("name", ["", "Upper", "-lead", "a" * 64, "sp ace", "dot.ted"])
async def test_a_bad_route_name_is_refused_naming_the_field(web: WebServer, name: str) -> None:
    async with web.admin() as admin:
        response = await admin.post(
            "/v1/admin/egress-routes", json={"name": name, "proxy_url": PROXY_URL}
        )
    # Outside the documented pattern: malformed, like every schema violation (400).
    assert response.status_code == 400, response.text
    assert [detail["field"] for detail in error_of(response)["details"]] == ["name"]
    assert PASSWORD not in response.text


@pytest.mark.parametrize(
    "proxy_url",
    [
        "http://203.0.113.10:3128",
        "https://u:p@proxy.example:8443/",
        "socks5://203.0.113.10:1080",
        "SOCKS5H://u:p%40ss@[2001:db8::1]:1080",
    ],
)
async def test_each_supported_proxy_scheme_is_accepted(web: WebServer, proxy_url: str) -> None:
    async with web.admin() as admin:
        created = await create_route(admin, "ok-1", proxy_url)
    assert created["proxy"].split("://")[0] == proxy_url.split("://")[0].lower()
    assert "@" not in created["proxy"]


async def test_a_route_name_is_unique_among_active_routes(web: WebServer) -> None:
    async with web.admin() as admin:
        await create_route(admin, "dup-1")
        again = await admin.post(
            "/v1/admin/egress-routes", json={"name": "dup-1", "proxy_url": PROXY_URL}
        )
        assert again.status_code == 409, again.text
        assert PASSWORD not in again.text
        assert (await admin.post("/v1/admin/egress-routes/dup-1/retire")).status_code == 200
        # Retired, its name is free again; the list shows the retired one on request only.
        await create_route(admin, "dup-1")
        active = (await admin.get("/v1/admin/egress-routes")).json()
        everything = (
            await admin.get("/v1/admin/egress-routes", params={"include_retired": "true"})
        ).json()
    assert [r["name"] for r in active] == ["dup-1"]
    assert sorted(r["retired_at"] is None for r in everything) == [False, True]


async def test_assigning_shows_on_the_credential_and_retiring_waits_for_unassignment(
    web: WebServer,
) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http, web.admin() as admin:
        credential = await create_credential(http)
        assert credential["egress_route"] is None
        await create_route(admin, "fra-2")

        path = f"/v1/admin/credentials/{credential['id']}/egress-route"
        assigned = await admin.put(path, json={"egress_route": "fra-2"})
        assert assigned.status_code == 200, assigned.text
        assert assigned.json() == {"credential_id": credential["id"], "egress_route": "fra-2"}

        fetched = (await http.get(f"/v1/credentials/{credential['id']}")).json()
        listed = (await http.get("/v1/credentials")).json()
        assert fetched["egress_route"] == "fra-2"
        assert [c["egress_route"] for c in listed] == ["fra-2"]
        route = (await admin.get("/v1/admin/egress-routes/fra-2")).json()
        assert route["assigned_credentials"] == 1
        for text in (str(fetched), str(listed)):
            assert PASSWORD not in text
            assert "203.0.113.10" not in text  # a client sees the route's name only

        refused = await admin.post("/v1/admin/egress-routes/fra-2/retire")
        assert refused.status_code == 409, refused.text
        assert "1 credential" in error_of(refused)["message"]

        unassigned = await admin.put(path, json={"egress_route": None})
        assert unassigned.json()["egress_route"] is None
        assert (await http.get(f"/v1/credentials/{credential['id']}")).json()[
            "egress_route"
        ] is None
        retired = await admin.post("/v1/admin/egress-routes/fra-2/retire")
        assert retired.status_code == 200, retired.text
        assert retired.json()["retired_at"] is not None
        assert retired.json()["assigned_credentials"] == 0
        # A retired route takes no credential and no longer answers by name.
        gone = await admin.put(path, json={"egress_route": "fra-2"})
        assert gone.status_code == 404, gone.text
        assert (await admin.get("/v1/admin/egress-routes/fra-2")).status_code == 404
        assert (await admin.post("/v1/admin/egress-routes/fra-2/retire")).status_code == 404


async def test_assignment_refuses_unknown_and_revoked_credentials(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http, web.admin() as admin:
        await create_route(admin, "fra-3")
        missing = await admin.put(
            f"/v1/admin/credentials/{uuid.uuid4()}/egress-route", json={"egress_route": "fra-3"}
        )
        assert missing.status_code == 404, missing.text
        credential = await create_credential(http)
        revoke = await http.post(f"/v1/credentials/{credential['id']}/revoke")
        assert revoke.status_code == 200, revoke.text
        revoked = await admin.put(
            f"/v1/admin/credentials/{credential['id']}/egress-route",
            json={"egress_route": "fra-3"},
        )
        assert revoked.status_code == 409, revoked.text


async def test_the_database_refuses_a_retired_route_for_a_credential(web: WebServer) -> None:
    """The trigger behind the API's check: no statement points a credential at a retired
    route (e.g. an assignment racing the retirement)."""
    alice = await web.create_client()
    async with web.http(alice.token) as http, web.admin() as admin:
        credential = await create_credential(http)
        route = await create_route(admin, "fra-4")
        assert (await admin.post("/v1/admin/egress-routes/fra-4/retire")).status_code == 200
    with pytest.raises(psycopg.errors.CheckViolation):
        await fetch_all(
            web.db_url,
            "UPDATE exchange_credentials SET egress_route_id = %s WHERE id = %s RETURNING id",
            (route["id"], credential["id"]),
        )


async def test_a_client_token_cannot_touch_routes(web: WebServer) -> None:
    alice = await web.create_client()
    async with web.http(alice.token) as http, web.admin() as admin:
        credential = await create_credential(http)
        await create_route(admin, "fra-5")
        calls = [
            http.post("/v1/admin/egress-routes", json={"name": "mine", "proxy_url": PROXY_URL}),
            http.get("/v1/admin/egress-routes"),
            http.get("/v1/admin/egress-routes/fra-5"),
            http.post("/v1/admin/egress-routes/fra-5/retire"),
            http.put(
                f"/v1/admin/credentials/{credential['id']}/egress-route",
                json={"egress_route": "fra-5"},
            ),
        ]
        for call in calls:
            response = await call
            assert response.status_code == 403, response.text
            assert PASSWORD not in response.text
        assert (await http.get(f"/v1/credentials/{credential['id']}")).json()[
            "egress_route"
        ] is None
    rows = await fetch_all(web.db_url, "SELECT name FROM egress_routes WHERE retired_at IS NULL")
    assert rows == [("fra-5",)]


async def test_without_a_sealing_key_routes_cannot_be_created(start_web: Any) -> None:
    async with (
        start_web(sealing_public_key=None, sealing_key_id=None) as web,
        web.admin() as admin,
    ):
        response = await admin.post(
            "/v1/admin/egress-routes", json={"name": "nokey", "proxy_url": PROXY_URL}
        )
    assert response.status_code == 503, response.text
