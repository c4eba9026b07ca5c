"""Local file storage."""

from __future__ import annotations

import pytest

from fitroom.service.storage import Storage


def test_write_read_link_delete_prune(tmp_path):
    st = Storage(tmp_path)
    st.write("users/u1/photos/a.jpg", b"abc")
    assert st.read("users/u1/photos/a.jpg") == b"abc" and st.exists("users/u1/photos/a.jpg")
    st.link("users/u1/photos/a.jpg", "users/u1/results/b.jpg")
    st.delete("users/u1/photos/a.jpg")
    assert st.read("users/u1/results/b.jpg") == b"abc"
    assert not (tmp_path / "users" / "u1" / "photos").exists()  # empty folders pruned
    st.delete_user("u1")
    assert not (tmp_path / "users" / "u1").exists()
    assert not st.exists(None) and not st.exists("")


def test_paths_cannot_leave_the_root(tmp_path):
    st = Storage(tmp_path / "root")
    with pytest.raises(ValueError):
        st.path("../outside.txt")
    with pytest.raises(ValueError):
        st.write("/etc/passwd", b"x")
