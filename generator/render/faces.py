"""The two faces of the stores, printed from the same templates: async and sync.

`common/_stores.py.j2`, `_store_macros.py.j2`, `contracts.py.j2` and
`stores.py.j2` print `{{ async_ }}def` and `{{ await_ }}self._db...`; a face
fills those in. The async face gives `_stores.py` and `contracts.py`; a
backend whose manifest says `sync = true` (e.g. `sqlite3`) gets the sync face,
rendered from the same method bodies into `_sync_stores.py` and
`sync_contracts.py`, so the two can never drift apart.
"""

from __future__ import annotations

from ..backends.manifest import Backend

ASYNC_FACE: dict[str, object] = {
    "async_": "async ",
    "await_": "await ",
    "sync_": "",
    "read_now": True,  # point reads try `fetch_one_now` before awaiting `fetch_one`
    "db_protocol": "Database",
    "contracts_module": "contracts",
    "stores_module": "_stores",
}
SYNC_FACE: dict[str, object] = {
    "async_": "",
    "await_": "",
    "sync_": "sync ",
    "read_now": False,
    "db_protocol": "SyncDatabase",
    "contracts_module": "sync_contracts",
    "stores_module": "_sync_stores",
}
# The files a sync face adds to the package: output name -> common template.
SYNC_FILES = {
    "_sync_stores.py": "common/_stores.py.j2",
    "sync_contracts.py": "common/contracts.py.j2",
}


def face(backend: Backend | None, backends: list[Backend]) -> dict[str, object]:
    """The template variables of `backend`'s face (None: the async common files)."""
    sync = backend is not None and backend.sync
    chosen = SYNC_FACE if sync else ASYNC_FACE
    return {**chosen, "face_backends": [b.module for b in backends if b.sync == sync]}
