"""`curate label serve` for a team, against the session's real server: restarted listening
on every interface behind a public URL (a reverse proxy's), then back on loopback; both
times on the port it had, without --port."""

from __future__ import annotations

import json

import httpx
import pytest

from curate.labelstudio.server import LocalServer, reachable_host

pytestmark = pytest.mark.labelstudio

PUBLIC = "https://labels.curate-test.org"


def login(base: str, email: str, password: str, origin: str) -> int:
    """Sign in as a browser behind ``origin`` would (the proxy forwards to ``base``)."""
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as h:
        h.get("/user/login/")
        r = h.post("/user/login/", headers={"Origin": origin},
                   data={"email": email, "password": password, "csrfmiddlewaretoken": h.cookies.get("csrftoken") or ""})
        return r.status_code


def test_serve_for_a_team_then_back_on_loopback_with_the_same_port(label_studio):
    ls = label_studio
    cwd = ls.data_dir.parent
    port = int(ls.url.rsplit(":", 1)[1])
    creds = json.loads((ls.data_dir / "credentials.json").read_text())
    outside = reachable_host("0.0.0.0")
    assert outside not in ("0.0.0.0", "127.0.0.1")
    try:
        assert "Label Studio stopped" in ls.cli("label", "serve", "--stop", cwd=cwd).stdout
        out = ls.cli("label", "serve", "--host", "0.0.0.0", "--public-url", PUBLIC, cwd=cwd).stdout
        text = " ".join(out.split())
        assert f"log in at {PUBLIC}/user/login/" in text, out
        assert "warning: listening on 0.0.0.0:" in text and "plain HTTP" in text and "SSH tunnel" in text
        st = LocalServer(ls.data_dir).state()
        assert (st.port, st.url, st.host) == (port, ls.url, "0.0.0.0")  # curate still uses loopback

        # other machines reach it; nobody joins without the invite link
        there = f"http://{outside}:{port}"
        assert httpx.get(f"{there}/health", timeout=10).status_code == 200
        with httpx.Client(base_url=there, timeout=30) as h:
            h.get("/user/signup/")
            r = h.post("/user/signup/", data={"email": "stranger@curate-test.org", "password": "Stranger-pass-1234",
                                              "csrfmiddlewaretoken": h.cookies.get("csrftoken") or ""},
                       headers={"Referer": f"{there}/user/signup/"})
        assert r.status_code == 403
        # a browser behind the TLS proxy signs in (Origin https://…, request forwarded as HTTP)
        assert login(ls.url, creds["email"], creds["password"], PUBLIC) == 302
        # and the reviewers' login link is the public one
        out = ls.cli("label", "reviewers", "add", "lead@curate-test.org", cwd=cwd).stdout
        assert f"log in at {PUBLIC}/user/login/" in out and "exists already" in out, out
    finally:
        ls.cli("label", "serve", "--stop", cwd=cwd)
        out = ls.cli("label", "serve", cwd=cwd).stdout
    assert f"Label Studio is running at {ls.url}" in out, out
    st = LocalServer(ls.data_dir).state()
    assert (st.port, st.host, st.public_url) == (port, "127.0.0.1", None)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{outside}:{port}/health", timeout=5)
    assert login(ls.url, creds["email"], creds["password"], PUBLIC) == 403  # that origin is no longer trusted
    assert login(ls.url, creds["email"], creds["password"], ls.url) == 302
