"""The dynamic provider behind `RegistryUser`: one user of MLflow's basic-auth app that the stack created.

It signs in with the program's registry connection (the server's admin, registry/connection.py). create
makes the user and refuses one that exists already, unless it signs in with the password this create sent
(registry/users.py: the stack deletes only what it can prove it created, and the state holds exactly what
create made); a new password is an update; a new name
is a replacement; delete removes the user, and a user already gone is deleted. read checks the user is still
there (MLflow never gives a password back).
"""

# The class is pickled into every RegistryUser's state by module path (registry.user_provider.RegistryUserProvider):
# moving or renaming it breaks refresh and delete of every recorded RegistryUser. Do not move it.
from __future__ import annotations

import re
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.runtime import rpc

from registry.connection import ConnectedProvider
from registry.users import MIN_PASSWORD_LENGTH, create_user, delete_user, update_password, user_exists

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")


def user_problems(username: Any, password: Any) -> list[tuple[str, str]]:
    """(field, problem) for the values that are known; an unknown one (a preview) is checked at apply."""
    problems = []
    if username != rpc.UNKNOWN and not (isinstance(username, str) and USERNAME.match(username)):
        problems.append(("username", f"{username!r} is not a user name: 2-63 lowercase letters, digits, '.', '_', '-'"))
    if password != rpc.UNKNOWN and not (isinstance(password, str) and len(password) >= MIN_PASSWORD_LENGTH):
        problems.append(
            ("password", f"the password must have at least {MIN_PASSWORD_LENGTH} characters (MLflow's minimum)")
        )
    return problems


class RegistryUserProvider(ConnectedProvider):
    # create writes to the registry: the offline render (ops/offline/dynamic_runner.py) must never run it.
    offline_create = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = {"username": news.get("username"), "password": news.get("password")}
        failures = [CheckFailure(field, message) for field, message in user_problems(**inputs)]
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["username"] if olds.get("username") != news.get("username") else []
        changed = bool(replaces) or olds.get("password") != news.get("password")
        return DiffResult(changes=changed, replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client()
        try:
            create_user(client, props["username"], props["password"])
        finally:
            client.close()
        return CreateResult(props["username"], {"username": props["username"], "password": props["password"]})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client()
        try:
            update_password(client, news["username"], news["password"])
        finally:
            client.close()
        return UpdateResult({"username": news["username"], "password": news["password"]})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        client = self._client()
        try:
            delete_user(client, props["username"])
        finally:
            client.close()

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self._client()
        try:
            exists = user_exists(client, props.get("username") or id_)
        finally:
            client.close()
        return ReadResult(id_, props, props) if exists else ReadResult("", {})
