"""pmatch serve ?url= lookups end to end, against a loopback origin HTTP server (a thread of
this script, 127.0.0.1 only). Off by default (403 url_lookups_disabled); with --allow-url
alone a loopback URL is refused by the fetcher's address guard (403 address_not_allowed,
nothing sent to the origin); with --allow-private it is fetched and checked like an upload on
/h/hash, /m/lookup, /v1/check and bank content; the fetch limits (bytes, time, redirects,
schemes, concurrent fetches) each give their JSON error; a slow origin holds no HTTP worker.
Images are generated (benign); nothing fetched is written to disk."""
import http.server
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_serve as T  # noqa: E402  (helpers: Server, jreq, expect_error, multipart, pm)

for k in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(k, None)  # the server's fetches go straight to the loopback origin


class Origin:
    """A loopback origin: /img (a known image's variant), /plain (an unrelated image),
    /big (over the byte limit), /slow (answers after 6 s), /missing (404), /redir (302 to
    /img), /redir-other (302 to 127.0.0.2, another loopback address)."""

    def __init__(self, files):
        self.files = files
        self.hits = []
        origin = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                origin.hits.append(self.path)
                p = self.path
                if p in origin.files:
                    self.reply(200, origin.files[p], "image/jpeg")
                elif p == "/big":
                    self.reply(200, b"\0" * 3_000_000, "application/octet-stream")
                elif p == "/slow":
                    time.sleep(6)
                    self.reply(200, origin.files["/img"], "image/jpeg")
                elif p == "/redir":
                    self.send_response(302)
                    self.send_header("Location", "/img")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif p == "/redir-other":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.2:{origin.port}/img")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self.reply(404, b"not here", "text/plain")

            def reply(self, code, body, ctype):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the fetcher gave up (limit, timeout)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def main():
    T.in_tmpdir("lm-serve-url-", run)
    T.finish("serve-url")


def run(tmp):
    import subprocess
    known, inc = os.path.join(tmp, "known"), os.path.join(tmp, "incoming")
    subprocess.run([T.MAKE_IMAGES, known, "3", "--variants=" + inc, "--seed=21"], check=True,
                   capture_output=True)
    files = sorted(os.listdir(known))
    db = os.path.join(tmp, "db")
    T.pm("db", "init", "--db", db)
    lines = T.pm("hash", *[os.path.join(known, f) for f in files]).stdout.splitlines()
    with open(os.path.join(tmp, "demo.pdq"), "w") as f:
        f.write("\n".join(lines[:2]) + "\n")
    T.pm("db", "import", "--db", db, "--list", "demo", os.path.join(tmp, "demo.pdq"))
    variants = sorted(os.listdir(inc))
    var0 = open(os.path.join(inc, [v for v in variants if v.startswith(files[0].split(".")[0])][0]), "rb").read()
    unrelated = open(os.path.join(inc, [v for v in variants if v.startswith("unrelated")][0]), "rb").read()
    tokens = os.path.join(tmp, "tokens")
    with open(tokens, "w") as f:
        f.write(f"match {T.RO}\nadmin {T.ADMIN}\n")
    os.chmod(tokens, 0o600)
    origin = Origin({"/img": var0, "/plain": unrelated})
    try:
        disabled(tmp, db, origin)
        guarded(tmp, db, origin)
        allowed(tmp, db, tokens, origin, var0)
        allow_net(tmp, db, origin)
    finally:
        origin.close()


def disabled(tmp, db, origin):
    """Without --allow-url every ?url= route answers 403 url_lookups_disabled, fetching nothing."""
    s = T.Server(tmp, db, "off", "--workers", "1")
    try:
        before = len(origin.hits)
        u = origin.base + "/img"
        for path in ("/h/hash?url=", "/m/lookup?url=", "/v1/check?url="):
            T.expect_error(s.base + path + u, 403, "url_lookups_disabled", token=None)
        T.expect_error(s.base + "/v1/check?url=" + u, 403, "url_lookups_disabled", b"", token=None)
        T.check(len(origin.hits) == before, "nothing fetched while URL lookups are off")
    finally:
        T.check(s.stop() == 0, "server 'off' exit status")


def guarded(tmp, db, origin):
    """--allow-url alone: public addresses only; the loopback origin is refused before any
    request is sent, with the refused address and its class."""
    s = T.Server(tmp, db, "guard", "--workers", "1", "--allow-url")
    try:
        before = len(origin.hits)
        j = T.expect_error(s.base + "/h/hash?url=" + origin.base + "/img", 403, "address_not_allowed",
                           token=None)
        T.check(j and j.get("refused_address") == "127.0.0.1" and j.get("refused_class") == "loopback"
                and "address_not_allowed" in json.dumps(j), f"refusal names the address: {j}")
        j = T.expect_error(s.base + f"/m/lookup?url=http://localhost:{origin.port}/img", 403,
                           "address_not_allowed", token=None)
        j = T.expect_error(s.base + f"/v1/check?url=http://[::1]:{origin.port}/img", 403,
                           "address_not_allowed", token=None)
        T.check(j and j.get("refused_class") == "loopback", f"::1 refused as loopback: {j}")
        T.check(len(origin.hits) == before, f"the origin got no request: {origin.hits[before:]}")
    finally:
        T.check(s.stop() == 0, "server 'guard' exit status")
    logs = s.logs()
    T.check(any(l.get("url_error") == "address_not_allowed" for l in logs), "refusal logged")


def allowed(tmp, db, tokens, origin, var0):
    s = T.Server(tmp, db, "on", "--workers", "1", "--allow-url", "--allow-private", "--tokens", tokens,
                 "--max-body", "2000000", "--url-timeout", "2", "--max-url-fetches", "1",
                 "--refresh-seconds", "0")
    try:
        u = origin.base + "/img"
        # the same answers as an upload of the same bytes
        data, hd = T.multipart("photo", "v.jpg", var0)
        st, up = T.jreq(s.base + "/h/hash", data, headers=hd)
        st, j = T.jreq(s.base + "/h/hash?url=" + u)
        T.check(st == 200 and j == up and len(j.get("pdq", "")) == 64, f"GET /h/hash?url= {st} {j} vs {up}")
        st, j = T.jreq(s.base + "/h/hash?types=pdq,md5&url=" + origin.base + "/redir")
        T.check(st == 200 and j.get("pdq") == up["pdq"] and len(j.get("md5", "")) == 32,
                f"/h/hash?url= after a redirect {st} {j}")
        st, j = T.jreq(s.base + "/m/lookup?url=" + u)
        T.check(st == 200 and list(j.get("pdq", {})) == ["demo"], f"GET /m/lookup?url= {st} {j}")
        st, j = T.jreq(s.base + "/v1/check?url=" + u)
        T.check(st == 200 and j.get("verdict") == "match" and j["matches"][0]["list"] == "demo",
                f"GET /v1/check?url= {st} {j}")
        st, j = T.jreq(s.base + "/v1/check?url=" + u, b"", method="POST")
        T.check(st == 200 and j.get("verdict") == "match", f"POST /v1/check?url= (no body) {st} {j}")
        st, j = T.jreq(s.base + "/v1/check?url=" + origin.base + "/plain")
        T.check(st == 200 and j.get("verdict") == "no_match", f"unrelated image by URL {st} {j}")
        T.expect_error(s.base + "/v1/check", 405, "method_not_allowed")
        # bank content by URL (admin token); read-only token refused first
        st, j = T.jreq(s.base + "/c/banks", json.dumps({"name": "URLBANK"}).encode(), token=T.ADMIN,
                       headers={"Content-Type": "application/json"})
        T.check(st == 201, f"bank created: {st} {j}")
        T.expect_error(s.base + "/c/bank/URLBANK/content?url=" + origin.base + "/plain", 403, "forbidden",
                       b"", method="POST")
        st, j = T.jreq(s.base + "/c/bank/URLBANK/content?url=" + origin.base + "/plain", b"",
                       token=T.ADMIN, method="POST")
        T.check(st == 200 and isinstance(j.get("id"), int) and len(j["signals"].get("pdq", "")) == 64,
                f"bank content added by URL {st} {j}")
        # each fetch limit: its own code and status
        T.expect_error(s.base + "/h/hash?url=" + origin.base + "/big", 413, "too_large")
        j = T.expect_error(s.base + "/h/hash?url=" + origin.base + "/missing", 502, "http_status")
        T.check(j and j.get("http_status") == 404, f"origin status reported: {j}")
        T.expect_error(s.base + "/h/hash?url=ftp://127.0.0.1/x.jpg", 400, "scheme_not_allowed")
        T.expect_error(s.base + "/h/hash?url=http://127.0.0.1:1/x.jpg", 502, "connect_failed")
        # a slow origin: 504 after --url-timeout; meanwhile the only worker serves other
        # requests (the connection is suspended), and a second fetch gets 503 too_busy
        res = {}

        def slow():
            t0 = time.time()
            res["r"] = T.jreq(s.base + "/h/hash?url=" + origin.base + "/slow", timeout=30)
            res["t"] = time.time() - t0
        th = threading.Thread(target=slow)
        th.start()
        time.sleep(0.5)
        st, j = T.jreq(s.base + "/healthz", token=None, timeout=10)
        st2, j2 = T.jreq(s.base + "/v1/lookup?pdq=" + "0" * 64, timeout=10)
        T.check(st == 200 and st2 == 200 and th.is_alive(),
                f"the only worker answers while a fetch is in flight: {st} {st2} {th.is_alive()}")
        j = T.expect_error(s.base + "/h/hash?url=" + u, 503, "too_busy")
        th.join(timeout=30)
        st, j = res.get("r", (0, None))
        T.check(st == 504 and j and j.get("error") == "timeout", f"slow origin: {st} {j}")
        st, j = T.jreq(s.base + "/h/hash?url=" + u)
        T.check(st == 200, f"fetch slot free again: {st} {j}")
        # SIGTERM with a fetch in flight: it finishes (bounded), then the server stops
        th = threading.Thread(target=slow)
        th.start()
        time.sleep(0.5)
        rc = s.stop()
        th.join(timeout=30)
        T.check(rc == 0, f"exit status with a fetch in flight: {rc}")
        st, j = res.get("r", (0, None))
        T.check(st == 504, f"in-flight fetch answered at shutdown: {st} {j}")
    finally:
        s.stop()
    logs = [l for l in s.logs() if l.get("event") == "request"]
    T.check(any(l.get("url_bytes", 0) > 1000 and l.get("url_http_status") == 200 for l in logs),
            "fetches logged with sizes")
    blob = open(s.logpath, "rb").read()
    T.check(b"\xff\xd8" not in blob and b"/img" not in blob, "logs hold neither content nor URLs")


def allow_net(tmp, db, origin):
    """--allow-net 127.0.0.1/32: that address is fetched; a redirect to 127.0.0.2 is refused."""
    s = T.Server(tmp, db, "net", "--workers", "1", "--allow-url", "--allow-net", "127.0.0.1/32")
    try:
        st, j = T.jreq(s.base + "/h/hash?url=" + origin.base + "/img", token=None)
        T.check(st == 200 and len(j.get("pdq", "")) == 64, f"--allow-net fetch {st} {j}")
        j = T.expect_error(s.base + "/h/hash?url=" + origin.base + "/redir-other", 403,
                           "address_not_allowed", token=None)
        T.check(j and j.get("refused_address") == "127.0.0.2", f"redirect target refused: {j}")
    finally:
        T.check(s.stop() == 0, "server 'net' exit status")
    p = __import__("subprocess").run([T.PMATCH, "serve", "--db", db, "--allow-net", "10.0.0.1/8"],
                                     capture_output=True, text=True, timeout=30)
    T.check(p.returncode == 2 and "--allow-net" in p.stderr, f"bad --allow-net refused: {p.stderr}")


if __name__ == "__main__":
    main()
