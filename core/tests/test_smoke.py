import pytest


@pytest.mark.django_db
def test_register_then_me(api_client):
    response = api_client.post("/api/v1/auth/register",
                               {"email": "Ana@Example.com", "password": "a long passphrase 42", "name": "Ana"},
                               format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["user"]["email"] == "ana@example.com"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    me = api_client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "ana@example.com"
