"""`GET /v1/me`: each token sees its own client, which the client kill switch's
`confirm` needs; no token or the admin token get the documented errors."""

from __future__ import annotations

from tests.fixtures.fix_web import WebServer
from tests.integration.web.support import error_of


async def test_each_token_sees_its_own_client(web: WebServer) -> None:
    alice, bob = await web.create_client(), await web.create_client()
    for handle in (alice, bob):
        async with web.http(handle.token) as http:
            response = await http.get("/v1/me")
        assert response.status_code == 200, response.text
        me = response.json()
        assert me["client_id"] == str(handle.id)
        assert me["name"] == handle.name
        assert handle.token.startswith(me["token_prefix"])
        assert len(me["token_prefix"]) < len(handle.token)


async def test_me_id_is_what_the_client_kill_switch_confirms(web: WebServer) -> None:
    client = await web.create_client()
    async with web.http(client.token) as http:
        me = (await http.get("/v1/me")).json()
        engaged = await http.post(
            "/v1/kill-switch/engage",
            json={"scope": "client", "confirm": me["client_id"], "reason": "drill"},
        )
    assert engaged.status_code == 201, engaged.text


async def test_me_without_a_token_is_401_and_with_the_admin_token_403(web: WebServer) -> None:
    async with web.http() as http:
        anonymous = await http.get("/v1/me")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(anonymous)["code"]
    async with web.admin() as http:
        admin = await http.get("/v1/me")
    assert admin.status_code == 403
    assert error_of(admin)["code"]
