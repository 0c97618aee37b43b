"""The users of MLflow's basic-auth app, as the stack manages them: create, change a password, delete, look up.

Endpoints of mlflow/server/auth (routes.py, mlflow 3.17.2): POST users/create and DELETE users/delete need a
super admin; PATCH users/update-password needs the user itself or an admin; GET users/get. A password has at
least 12 characters (mlflow.utils.validation._validate_password); MLflow refuses a shorter one.
"""

from __future__ import annotations

from facts.mlflow_server import MIN_PASSWORD_LENGTH
from registry.client import MlflowRegistryClient
from registry.errors import RegistryError

__all__ = ["MIN_PASSWORD_LENGTH", "UserExists", "create_user", "delete_user", "update_password", "user_exists"]


class UserExists(RegistryError):
    """The user is in the registry already, and this stack did not create it."""


def user_exists(client: MlflowRegistryClient, username: str) -> bool:
    try:
        client.request("GET", "/users/get", params={"username": username}, what=f"look up user '{username}'")
    except RegistryError as err:
        if err.code == "RESOURCE_DOES_NOT_EXIST":
            return False
        raise
    return True


def signs_in(client: MlflowRegistryClient, username: str, password: str) -> bool:
    """Whether the server takes `username` with `password` (one read as that user; a 401 says no)."""
    as_user = MlflowRegistryClient(
        client.uri, username=username, password=password, read_timeout=client.read_timeout, retries=client.retries
    )
    try:
        as_user.request("GET", "/registered-models/search", params={"max_results": 1}, what=f"sign in as '{username}'")
    except RegistryError as err:
        if err.status == 401:
            return False
        raise
    finally:
        as_user.close()
    return True


def create_user(client: MlflowRegistryClient, username: str, password: str) -> None:
    """Never adopts an existing user: changing the password of a user someone else created would lock them
    out, and deleting it later would delete what the stack cannot prove it created. One that signs in with
    the password just sent is this create's own (a generated password nobody else has): the session retries a
    POST whose answer was lost, and the retry then finds the user its first attempt made."""
    try:
        client.request(
            "POST", "/users/create", body={"username": username, "password": password}, what=f"create user '{username}'"
        )
    except RegistryError as err:
        if err.code != "RESOURCE_ALREADY_EXISTS":
            raise
        if signs_in(client, username, password):
            return
        raise UserExists(
            f"user '{username}' already exists and this stack did not create it",
            registry=err.registry,
            code=err.code,
            status=err.status,
            fix="delete that user in MLflow if nothing uses it, or set mlflowServer.readerUsername to another name",
        ) from None


def update_password(client: MlflowRegistryClient, username: str, password: str) -> None:
    client.request(
        "PATCH",
        "/users/update-password",
        body={"username": username, "password": password},
        what=f"change the password of user '{username}'",
    )


def delete_user(client: MlflowRegistryClient, username: str) -> None:
    """A user already gone is deleted."""
    try:
        client.request("DELETE", "/users/delete", body={"username": username}, what=f"delete user '{username}'")
    except RegistryError as err:
        if err.code != "RESOURCE_DOES_NOT_EXIST":
            raise
