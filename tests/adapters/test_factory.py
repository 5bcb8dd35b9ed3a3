"""The factory picks the adapter from the platform kind and the access the tenant granted."""

from __future__ import annotations

from adapters.base import MemoryTokenStore
from adapters.canvas import CanvasAdapter
from adapters.factory import AdapterSettings, make_adapter
from adapters.local import LocalAdapter, MemoryRepository
from adapters.moodle import MoodleAdapter


def test_moodle_with_a_service_token_gets_the_moodle_adapter() -> None:
    adapter = make_adapter(AdapterSettings("moodle", "https://moodle.example.com", token="t0k"))
    assert isinstance(adapter, MoodleAdapter)


def test_canvas_with_an_admin_token_or_a_developer_key_gets_the_canvas_adapter() -> None:
    admin = make_adapter(AdapterSettings("canvas", "https://acme.instructure.com", token="t0k"))
    assert isinstance(admin, CanvasAdapter) and admin.oauth is None
    keyed = make_adapter(
        AdapterSettings(
            "canvas", "https://acme.instructure.com", client_id="1000", client_secret="s3cret"
        ),
        tokens=MemoryTokenStore(),
        acting_user="501",
    )
    assert isinstance(keyed, CanvasAdapter)
    assert keyed.oauth is not None and keyed.acting_user == "501"


def test_no_rest_access_or_another_lms_gets_the_local_catalog() -> None:
    repo = MemoryRepository()
    for settings in (
        AdapterSettings("moodle", "https://moodle.example.com"),  # no token granted
        AdapterSettings("canvas", ""),
        AdapterSettings("other", "https://lms.example.com", token="t0k"),
    ):
        adapter = make_adapter(settings, local=repo)
        assert isinstance(adapter, LocalAdapter) and adapter.repository is repo


def test_settings_never_show_their_secrets() -> None:
    settings = AdapterSettings("canvas", "https://x", token="tok-abc", client_secret="sec-def")
    assert "tok-abc" not in repr(settings) and "sec-def" not in repr(settings)
