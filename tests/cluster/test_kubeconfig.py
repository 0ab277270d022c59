"""The kubeconfig's current-user token: merged files, token files, and users that have no token."""

from __future__ import annotations

import os

import pytest
import yaml

from steps.errors import InvalidInputError
from workflows.argo_server.kubeconfig import current_user_token


def _write(path, **doc) -> str:
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_files_merge_like_kubectl_and_the_token_is_not_in_the_repr(tmp_path):
    first = _write(tmp_path / "a", **{"current-context": "prod", "users": [{"name": "u", "user": {"token": "t1"}}]})
    second = _write(
        tmp_path / "b",
        contexts=[{"name": "prod", "context": {"user": "u"}}],
        users=[{"name": "u", "user": {"token": "ignored: the first file wins"}}],
    )
    source = current_user_token({"KUBECONFIG": os.pathsep.join([first, second])})
    assert source.token == "t1" and "user 'u'" in source.description
    assert "t1" not in repr(source)


@pytest.mark.parametrize(
    "doc, reason",
    [
        ({}, "has no current-context"),
        ({"current-context": "x"}, "context 'x' names no known user"),
        (
            {
                "current-context": "x",
                "contexts": [{"name": "x", "context": {"user": "u"}}],
                "users": [{"name": "u", "user": {"exec": {"command": "aws"}}}],
            },
            "authenticates with an exec plugin",
        ),
    ],
)
def test_no_token_says_why(tmp_path, doc, reason):
    source = current_user_token({"KUBECONFIG": _write(tmp_path / "c", **doc)})
    assert source.token is None and reason in source.description


def test_missing_and_broken_files(tmp_path):
    assert current_user_token({"HOME": str(tmp_path)}).description == "no kubeconfig found"
    (tmp_path / "bad").write_text("users: [unclosed")
    with pytest.raises(InvalidInputError, match=r"cannot read the kubeconfig .* set ARGO_TOKEN"):
        current_user_token({"KUBECONFIG": str(tmp_path / "bad")})
