"""NeMo Data Store (nemo-api.md §1): its namespace API and the Hugging Face Hub-compatible API
under `/v1/hf`, implementing what `huggingface_hub` 2.x calls for create_repo / delete_repo /
create_commit / upload_file / upload_folder / create_branch / list_repo_files / list_repo_tree /
repo_info / hf_hub_download.

Files are committed as regular (base64) blobs: preupload always answers `uploadMode: "regular"`,
so LFS / Xet uploads never happen. Commit ids are sha1 over the tree (paths + git blob ids) and
the parent commit: the same files on the same parent give the same commit id.
"""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import quote

from tests.fakes.fake_http import Response, json_response
from tests.fakes.nemo_state import ApiError, HfCommit, HfRepo, list_response

REPO = r"(?P<ns>[^/]+)/(?P<name>[^/]+)"
TYPES = r"(?P<type>models|datasets|spaces)"


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commit_oid(files: dict[str, bytes], parent: str | None) -> str:
    h = hashlib.sha1()
    for path in sorted(files):
        h.update(f"{path}\0{git_blob_id(files[path])}\n".encode())
    h.update(f"parent {parent or ''}\n".encode())
    return h.hexdigest()


def _hf_error(status: int, message: str, code: str | None = None) -> ApiError:
    headers = {"X-Error-Message": message}
    if code:
        headers["X-Error-Code"] = code
    return ApiError(status, message, headers=headers, body={"error": message})


def get_repo(ctx, repo_type: str, repo_id: str) -> HfRepo:
    repo = ctx.state.hf_repos.get((repo_type, repo_id))
    if repo is None:
        raise _hf_error(404, f"Repository Not Found for {repo_type}s/{repo_id}", "RepoNotFound")
    return repo


def _revision(repo: HfRepo, revision: str) -> HfCommit | None:
    if not repo.has_revision(revision):
        raise _hf_error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
    return repo.resolve(revision)


def create_repo(ctx, repo_type: str, repo_id: str) -> HfRepo:
    now = ctx.clock.iso(ctx.clock.now())
    repo = HfRepo(repo_type, repo_id, now)
    initial = HfCommit(commit_oid({}, None), None, "initial commit", {}, now)
    repo.commits[initial.oid] = initial
    repo.branches["main"] = initial.oid
    ctx.state.hf_repos[(repo_type, repo_id)] = repo
    return repo


def commit_files(
    ctx, repo: HfRepo, branch: str, files: dict[str, bytes], message: str, deletions: tuple[str, ...] = ()
) -> HfCommit:
    """Apply additions/deletions on top of `branch` (created from main if missing)."""
    if branch not in repo.branches:
        repo.branches[branch] = repo.branches["main"]
    parent = repo.branches[branch]
    tree = dict(repo.commits[parent].files) if parent else {}
    for path in deletions:
        prefix = path.rstrip("/") + "/"
        for p in [p for p in tree if p == path or p.startswith(prefix)]:
            del tree[p]
    tree.update(files)
    commit = HfCommit(commit_oid(tree, parent), parent, message, tree, ctx.clock.iso(ctx.clock.now()))
    repo.commits[commit.oid] = commit
    repo.branches[branch] = commit.oid
    return commit


# ----------------------------------------------------------------------------- Data Store namespaces


def ds_namespace_create(ctx, req, m):
    ns = (req.form or {}).get("namespace")  # form-encoded only, as the real service (§1)
    if not ns:
        raise ApiError(422, [{"loc": ["body", "namespace"], "msg": "Field required", "type": "missing"}])
    if ns in ctx.state.ds_namespaces:
        raise ApiError(409, f"Namespace {ns} already exists")
    now = ctx.clock.iso(ctx.clock.now())
    obj = {"namespace": ns, "created_at": now, "updated_at": now}
    ctx.state.ds_namespaces[ns] = obj
    ctx.created("datastore_namespace", ns, obj)
    return json_response(obj, 201)


def ds_namespace_get(ctx, req, m):
    obj = ctx.state.ds_namespaces.get(m["ns"])
    if obj is None:
        raise ApiError(404, f"Namespace {m['ns']} not found")
    return json_response(obj, 201)  # the recorded server answered GET with 201 (nemo-api.md §1)


def ds_namespace_delete(ctx, req, m):
    if ctx.state.ds_namespaces.pop(m["ns"], None) is None:
        raise ApiError(404, f"Namespace {m['ns']} not found")
    return Response(204)


def ds_namespace_list(ctx, req, m):
    return list_response(list(ctx.state.ds_namespaces.values()), req.query, default_sort="created_at")


# ----------------------------------------------------------------------------- HF repos


def _repo_url(ctx, repo_type: str, repo_id: str) -> str:
    prefix = "" if repo_type == "model" else f"{repo_type}s/"
    return f"{ctx.nds_url}/v1/hf/{prefix}{repo_id}"


def hf_repo_create(ctx, req, m):
    body = req.json_object()
    name, org = body.get("name"), body.get("organization")
    repo_type = body.get("type") or "model"
    if not name or repo_type not in ("model", "dataset", "space"):
        raise _hf_error(400, "Invalid repo name or type")
    repo_id = f"{org}/{name}" if org else name
    url = _repo_url(ctx, repo_type, repo_id)
    if (repo_type, repo_id) in ctx.state.hf_repos:
        err = _hf_error(409, f"You already created this {repo_type} repo")
        err.body["url"] = url
        raise err
    create_repo(ctx, repo_type, repo_id)
    ctx.created("hf_repo", f"{repo_type}s/{repo_id}", body)
    return {"url": url, "name": repo_id, "id": repo_id}


def hf_repo_delete(ctx, req, m):
    body = req.json_object()
    repo_type = body.get("type") or "model"
    repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else body.get("name", "")
    get_repo(ctx, repo_type, repo_id)
    del ctx.state.hf_repos[(repo_type, repo_id)]
    return {}


def _type(m) -> str:
    return m["type"][:-1]


def hf_preupload(ctx, req, m):
    repo = get_repo(ctx, _type(m), f"{m['ns']}/{m['name']}")
    head = _revision(repo, m["rev"])
    existing = head.files if head else {}
    files = []
    for f in req.json_object().get("files", []):
        path = f.get("path")
        oid = git_blob_id(existing[path]) if path in existing else None
        files.append({"path": path, "uploadMode": "regular", "shouldIgnore": False, "oid": oid})
    return {"files": files, "commitOid": head.oid if head else None}


def hf_commit(ctx, req, m):
    repo_type, repo_id = _type(m), f"{m['ns']}/{m['name']}"
    repo = get_repo(ctx, repo_type, repo_id)
    branch = m["rev"]
    if branch not in repo.branches:
        raise _hf_error(404, f"Invalid rev id: {branch}", "RevisionNotFound")
    try:
        lines = [json.loads(line) for line in req.body.decode().splitlines() if line.strip()]
    except ValueError as exc:
        raise _hf_error(400, "Commit body must be NDJSON") from exc
    if not lines or lines[0].get("key") != "header":
        raise _hf_error(400, "First NDJSON line must be the commit header")
    header = lines[0].get("value") or {}
    parent = header.get("parentCommit")
    if parent and parent != repo.branches[branch]:
        raise _hf_error(412, "A commit has happened since. Please refresh and try again.")
    added: dict[str, bytes] = {}
    deleted: list[str] = []
    head_files = repo.files(branch)
    for line in lines[1:]:
        key, value = line.get("key"), line.get("value") or {}
        if key == "file":
            if value.get("encoding", "base64") != "base64":
                raise _hf_error(400, f"Unsupported encoding {value.get('encoding')!r}")
            added[value["path"]] = base64.b64decode(value.get("content", ""))
        elif key in ("deletedFile", "deletedFolder"):
            path = value["path"]
            if key == "deletedFile" and path not in head_files:
                raise _hf_error(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
            deleted.append(path)
        else:  # lfsFile / copy ops: never requested since preupload answers "regular"
            raise _hf_error(400, f"The fake Data Store does not support {key!r} operations")
    commit = commit_files(ctx, repo, branch, added, header.get("summary") or "", tuple(deleted))
    ctx.created("hf_commit", f"{repo_type}s/{repo_id}@{commit.oid}", {"files": sorted(added)})
    return {
        "commitUrl": f"{_repo_url(ctx, repo_type, repo_id)}/commit/{commit.oid}",
        "commitOid": commit.oid,
        "pullRequestUrl": None,
        "success": True,
    }


def hf_branch_create(ctx, req, m):
    repo = get_repo(ctx, _type(m), f"{m['ns']}/{m['name']}")
    branch = m["branch"]
    if branch in repo.branches:
        raise _hf_error(409, f"Reference already exists: {branch}")
    start = (req.json or {}).get("startingPoint") if isinstance(req.json, dict) else None
    head = _revision(repo, start or "main")
    repo.branches[branch] = head.oid if head else None
    return {}


def _entries(files: dict[str, bytes], path: str, recursive: bool, commit: HfCommit, expand: bool) -> list[dict]:
    prefix = path.strip("/") + "/" if path.strip("/") else ""
    out: dict[str, dict] = {}
    for p in sorted(files):
        if not p.startswith(prefix):
            continue
        rest = p[len(prefix) :]
        parts = rest.split("/")
        for depth in range(1, len(parts)):
            d = prefix + "/".join(parts[:depth])
            if (recursive or depth == 1) and d not in out:
                out[d] = {"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d}
            if not recursive:
                break
        if recursive or len(parts) == 1:
            out[p] = {"type": "file", "oid": git_blob_id(files[p]), "size": len(files[p]), "path": p}
    entries = [out[k] for k in sorted(out)]
    if expand:
        for e in entries:
            e["lastCommit"] = {"id": commit.oid, "title": commit.message, "date": commit.created_at}
    return entries


def hf_tree(ctx, req, m):
    repo = get_repo(ctx, _type(m), f"{m['ns']}/{m['name']}")
    commit = _revision(repo, m["rev"])
    files = commit.files if commit else {}
    path = (m.get("path") or "").strip("/")
    if path and path in files:
        raise _hf_error(404, f"{path} is a file, not a folder", "EntryNotFound")
    if path and not any(p.startswith(path + "/") for p in files):
        raise _hf_error(404, f"Entry not found: {path}", "EntryNotFound")
    recursive = req.query.get("recursive", "False").lower() == "true"
    expand = req.query.get("expand", "False").lower() == "true"
    entries = _entries(files, path, recursive, commit, expand) if commit else []
    size = ctx.hf_tree_page_size if not expand else min(50, ctx.hf_tree_page_size)
    cursor = int(req.query.get("cursor", 0) or 0)
    page = entries[cursor : cursor + size]
    headers = {}
    if cursor + size < len(entries):
        nxt = f"{ctx.base_url}{req.path}?recursive={recursive}&expand={expand}&cursor={cursor + size}"
        headers["Link"] = f'<{nxt}>; rel="next"'
    return json_response(page, 200, headers)


def hf_repo_info(ctx, req, m):
    repo_type, repo_id = _type(m), f"{m['ns']}/{m['name']}"
    repo = get_repo(ctx, repo_type, repo_id)
    commit = _revision(repo, m.get("rev") or "main")
    files = commit.files if commit else {}
    blobs = req.query.get("blobs", "").lower() == "true"
    siblings = []
    for p in sorted(files):
        s = {"rfilename": p}
        if blobs:
            s.update(size=len(files[p]), blobId=git_blob_id(files[p]))
        siblings.append(s)
    return {
        "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
        "id": repo_id,
        "author": m["ns"],
        "sha": commit.oid if commit else None,
        "lastModified": commit.created_at if commit else repo.created_at,
        "createdAt": repo.created_at,
        "private": False,
        "disabled": False,
        "gated": False,
        "downloads": 0,
        "likes": 0,
        "tags": [],
        "siblings": siblings,
        "cardData": None,
    }


def hf_resolve(ctx, req, m):
    repo_type = "dataset" if m.get("type") == "datasets" else "model"
    repo = get_repo(ctx, repo_type, f"{m['ns']}/{m['name']}")
    commit = _revision(repo, m["rev"])
    path = m["path"]
    if commit is None or path not in commit.files:
        raise _hf_error(404, f"Entry not found: {path}", "EntryNotFound")
    data = commit.files[path]
    headers = {
        "ETag": f'"{git_blob_id(data)}"',
        "X-Repo-Commit": commit.oid,
        "Accept-Ranges": "bytes",
        "Content-Type": "application/octet-stream",
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}",
    }
    rng = req.headers.get("range", "")
    if rng.startswith("bytes=") and req.method == "GET":
        start_s, _, end_s = rng[6:].partition("-")
        start = int(start_s or 0)
        end = min(int(end_s), len(data) - 1) if end_s else len(data) - 1
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        return Response(206, data[start : end + 1], headers)
    return Response(200, data, headers)


def routes(router, ctx) -> None:
    def add(methods, pattern, fn):
        return router.add(methods, pattern, lambda req, m: fn(ctx, req, m))

    add("POST", r"/v1/datastore/namespaces", ds_namespace_create)
    add("GET", r"/v1/datastore/namespaces", ds_namespace_list)
    add("GET", r"/v1/datastore/namespaces/(?P<ns>[^/]+)", ds_namespace_get)
    add("DELETE", r"/v1/datastore/namespaces/(?P<ns>[^/]+)", ds_namespace_delete)
    add("POST", r"/v1/hf/api/repos/create", hf_repo_create)
    add("DELETE", r"/v1/hf/api/repos/delete", hf_repo_delete)
    add("POST", rf"/v1/hf/api/{TYPES}/{REPO}/preupload/(?P<rev>[^/]+)", hf_preupload)
    add("POST", rf"/v1/hf/api/{TYPES}/{REPO}/commit/(?P<rev>[^/]+)", hf_commit)
    add("POST", rf"/v1/hf/api/{TYPES}/{REPO}/branch/(?P<branch>[^/]+)", hf_branch_create)
    add("GET", rf"/v1/hf/api/{TYPES}/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", hf_tree)
    add("GET", rf"/v1/hf/api/{TYPES}/{REPO}(?:/revision/(?P<rev>[^/]+))?", hf_repo_info)
    add("GET", rf"/v1/hf/(?P<type>datasets)/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", hf_resolve)
    add("GET", rf"/v1/hf/{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", hf_resolve)
