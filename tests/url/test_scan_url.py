"""pmatch scan URL... end to end against real HTTP and HTTPS servers on 127.0.0.1.

The test starts Python's http.server in threads (ephemeral ports) serving generated benign
images (tests/tools lm-make-images), pages embedding them, redirects, a redirect loop, a slow
endpoint, oversized bodies (with and without Content-Length), wrong content types and a 404;
the HTTPS server uses a self-signed certificate made here with the openssl command. pmatch
runs with its working directory, TMPDIR and HOME in fresh empty directories, which must stay
empty: fetched content never touches the disk.
"""
import base64
import gzip
import hashlib
import http.server
import json
import os
import pty
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
import clitest as t  # noqa: E402

MAKE_IMAGES = os.environ["LM_MAKE_IMAGES"]
work = tempfile.mkdtemp(prefix="lm-url-")
served = os.path.join(work, "served")
os.makedirs(served)
subprocess.run([MAKE_IMAGES, served, "4"], check=True, capture_output=True)
names = sorted(os.listdir(served))
K0, K1, U0, U1 = names  # K: on the list; U: not
blob = {n: open(os.path.join(served, n), "rb").read() for n in names}
CTYPES = {".jpg": "image/jpeg", ".png": "image/png"}

DOC = b"a benign text document that is on the list by its SHA-256\n"
PLAIN = b"a benign text document on no list\n"

# What the server saw (User-Agent per path, proxied requests), for the assertions.
seen = {"ua": {}, "proxied": [], "ae": {}, "hits": []}
GZIP_BOMB = gzip.compress(b"\0" * 50_000_000, 9)  # 50 MB of zeros in about 50 kB


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    scheme = "http"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, to):
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        path = self.path
        seen["ua"][path] = self.headers.get("User-Agent")
        seen["ae"][path] = self.headers.get("Accept-Encoding")
        seen["hits"].append((self.server.server_address[0], path))
        if path.startswith("http://"):  # absolute form: we are being used as a proxy
            seen["proxied"].append(path)
            path = "/" + path.split("/", 3)[3]
        path = path.split("?")[0]
        port = self.server.server_port
        base = f"{self.scheme}://{self.server.server_address[0]}:{port}"
        parts = path.strip("/").split("/")
        if parts[0] == "img" and len(parts) == 2 and parts[1] in blob:
            self.send(200, blob[parts[1]], CTYPES[os.path.splitext(parts[1])[1]])
        elif parts[0] == "pages" and parts[1:] == ["index.html"]:
            self.send(200, page(base).encode(), "text/html; charset=utf-8")
        elif parts[0] == "redirect" and len(parts) == 3:  # /redirect/N/NAME: N hops to /img/NAME
            n = int(parts[1])
            self.redirect(f"/redirect/{n - 1}/{parts[2]}" if n > 1 else f"/img/{parts[2]}")
        elif path == "/loop":
            self.redirect("/loop2")
        elif path == "/loop2":
            self.redirect(base + "/loop")
        elif path == "/to-file":
            self.redirect("file:///etc/passwd")
        elif path == "/slow":
            time.sleep(5)
            self.send(200, blob[U0], "image/jpeg")
        elif path == "/big":  # declares its length: refused before the body
            self.send(200, b"\0" * 2_000_000, "application/octet-stream")
        elif path == "/chunked-big":  # no length: the limit must hold while receiving
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(50):
                    chunk = b"\1" * 10000
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif parts[0] == "wrongtype" and len(parts) == 2 and parts[1] in blob:
            self.send(200, blob[parts[1]], "text/html")  # an image that claims to be HTML
        elif path == "/wrongtype-page":  # HTML that claims to be a binary file
            self.send(200, page(base).encode(), "application/octet-stream")
        elif path == "/many.html":
            body = "".join(f'<img src="/img/{n}">' for n in names)
            self.send(200, ("<!doctype html><html><body>" + body + "</body></html>").encode(),
                      "text/html")
        elif path == "/doc.txt":
            self.send(200, DOC, "text/plain")
        elif path == "/plain.txt":
            self.send(200, PLAIN, "text/plain")
        elif path == "/empty":
            self.send(200, b"", "image/png")
        elif path == "/internal-admin":  # what the address guard must keep pmatch away from
            self.send(200, b"deleted", "text/plain")
        elif path == "/to-internal":  # a public-looking server redirecting inward
            self.redirect(f"http://127.0.0.1:{port}/internal-admin?action=delete")
        elif path == "/guard-page.html":  # media on an allowed and on a refused address
            body = f'<html><body><img src="http://127.0.0.1:{port}/img/{K0}"><img src="/img/{K1}">'
            self.send(200, body.encode(), "text/html")
        elif path == "/rebind-page.html":  # media on the page's own (rebinding) host
            self.send(200, f'<html><body><img src="/img/{K0}?rebind">'.encode(), "text/html")
        elif parts[0] in ("gzip", "deflate") and len(parts) == 2 and parts[1] in blob:
            data = gzip.compress(blob[parts[1]]) if parts[0] == "gzip" else zlib.compress(blob[parts[1]])
            self.send(200, data, CTYPES[os.path.splitext(parts[1])[1]], [("Content-Encoding", parts[0])])
        elif path == "/gzip-bomb":
            self.send(200, GZIP_BOMB, "image/png", [("Content-Encoding", "gzip")])
        elif path == "/bad-gzip":
            self.send(200, b"\x1f\x8b\x08\0not gzip at all" * 10, "image/png",
                      [("Content-Encoding", "gzip")])
        elif path == "/data-page.html":  # media inline as data: URLs
            b64 = base64.b64encode(blob[K1]).decode()
            body = (f'<html><body><img src="data:image/jpeg;base64,{b64}">'
                    f'<img src="data:image/png;base64,@@not-base64@@">'
                    f'<img src="data:text/plain,not-media"><img src="/img/{U0}">')
            self.send(200, body.encode(), "text/html")
        elif path == "/video/clip.bin" and VIDEO:
            self.send(200, VIDEO, "application/octet-stream")
        else:
            self.send(404, b"not here", "text/plain")


class TLSHandler(Handler):
    scheme = "https"


def page(base):
    """A page with relative, root-relative and absolute links, srcset, og:image, a duplicate,
    a link to a missing image and a link that is not media."""
    return f"""<!DOCTYPE html>
<html><head><title>benign test page</title>
<meta property="og:image" content="/redirect/2/{K0}">
</head><body>
<img src="../img/{K0}" alt="relative">
<img src="{base}/img/{K1}" alt="absolute">
<img srcset="../img/{U0} 1x, /img/{U1} 2x" alt="srcset">
<a href="/missing/nothing.jpg">gone</a>
<a href="other.html">not media</a>
<img src="../img/{K0}#again">
</body></html>"""


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)  # clients hanging up are expected


def serve(handler, tls_ctx=None, host="127.0.0.1", port=0):
    srv = Server((host, port), handler)
    srv.daemon_threads = True
    if tls_ctx:
        srv.socket = tls_ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


# The self-signed certificate for HTTPS (outside the directories pmatch runs in).
cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)

VIDEO = None
video_dir = os.path.join(t.TESTDATA, "video") if t.TESTDATA else ""
if os.path.isdir(video_dir):
    with open(os.path.join(video_dir, "chair-20-sd-bar.mp4"), "rb") as f:
        VIDEO = f.read()

# Two HTTP servers on one port: 127.0.0.1 (the "internal" host the guard must refuse when
# only 127.0.0.2 is allowed) and 127.0.0.2 (an allowed host, as a public server would be).
for attempt in range(20):
    http_srv = serve(Handler)
    try:
        http_srv2 = serve(Handler, host="127.0.0.2", port=http_srv.server_port)
        break
    except OSError:
        http_srv.shutdown()
else:
    t.fail("cannot bind 127.0.0.1 and 127.0.0.2 on one port")
    sys.exit(1)
https_srv = serve(TLSHandler, ctx)
PORT = http_srv.server_port
H = f"http://127.0.0.1:{PORT}"
H2 = f"http://127.0.0.2:{PORT}"
S = f"https://127.0.0.1:{https_srv.server_port}"

# The hash list: K0 and K1 by PDQ (as 'pmatch hash' prints them), plus chair video frames.
db = os.path.join(work, "list.lmdb")
t.run("db", "init", "--db", db, check_rc=0)
code, out, err = t.run("hash", os.path.join(served, K0), os.path.join(served, K1), check_rc=0)
pdq = {os.path.basename(line.split(",")[2]): line.split(",")[0] for line in out.splitlines()}
known = os.path.join(work, "known.csv")
with open(known, "w") as f:
    f.write(out)
t.run("db", "import", "--db", db, "--list", "known", "--source", "unit-test-supplier",
      "--list-version", "v7", known, check_rc=0)
t.run("db", "add", "--db", db, "--type", "sha256", "--label", "test-doc", "--list", "exact",
      hashlib.sha256(DOC).hexdigest(), check_rc=0)
entry = {}
code, out, err = t.run("scan", "--db", db, "--json", "--quiet", "--exact",
                       os.path.join(served, K0), os.path.join(served, K1), check_rc=1)
for line in out.splitlines():
    r = json.loads(line)
    entry[os.path.basename(r["path"])] = r["matches"][0]["entry_id"]
if VIDEO:
    frames = os.path.join(work, "frames.hex")
    with open(os.path.join(t.TESTDATA, "vpdq-expected", "chair-22-sd-grey-bar.txt")) as f, \
            open(frames, "w") as o:
        for i, line in enumerate(f):
            if i % 30 == 0:
                o.write(line.split(",")[2] + "\n")
    t.run("db", "import", "--db", db, "--list", "chair-frames", frames, check_rc=0)

# pmatch's own directories: cwd, TMPDIR and HOME, which must stay empty.
cwd, tmpdir, home = (tempfile.mkdtemp(prefix=f"lm-url-{n}-") for n in ("cwd", "tmp", "home"))
base_env = {k: v for k, v in os.environ.items()
            if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")}
base_env.update(TMPDIR=tmpdir, HOME=home)


# The test servers are on loopback, which the address guard refuses by default: every run
# allows 127.0.0.0/8 unless allow=False (the guard's own tests choose what they allow).
LOOPBACK = ("--allow-net", "127.0.0.0/8")


def pmatch(*args, rc=None, env=None, timeout=60, allow=True):
    t0 = time.monotonic()
    p = subprocess.run([t.PMATCH, "scan", "--db", db, *(LOOPBACK if allow else ()), *args],
                       capture_output=True, cwd=cwd, env=env or base_env, timeout=timeout)
    if os.environ.get("LM_URL_TEST_VERBOSE"):
        print(f"{time.monotonic() - t0:.2f} s: {' '.join(args)}", file=sys.stderr)
    out, err = p.stdout.decode(), p.stderr.decode()
    if rc is not None and p.returncode != rc:
        t.fail(f"pmatch scan {' '.join(args)}: exit {p.returncode}, expected {rc}\n"
               f"stdout: {out[:3000]}\nstderr: {err[:2000]}")
    return p.returncode, out, err


def records(*args, rc=None, env=None, allow=True):
    code, out, err = pmatch("--json", "--quiet", *args, rc=rc, env=env, allow=allow)
    return [json.loads(line) for line in out.splitlines()]


TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def check_media(r, name, verdict, requested, final, redirects=0, page_url=None, ctype=None):
    """Evidence of one fetched image: where from, exact digests, hash, verdict."""
    what = f"{requested}: {r}"
    t.check(r["requested_url"] == requested and r["final_url"] == final, "urls " + what)
    t.check(r["redirects"] == redirects and r["http_status"] == 200, "status " + what)
    t.check(r["verdict"] == verdict, f"verdict {verdict}: {what}")
    t.check(r["server_ip"] == "127.0.0.1" and r["server_port"] == int(final.split(":")[2].split("/")[0]),
            "server " + what)
    t.check(r["content_type"] == (ctype or CTYPES[os.path.splitext(name)[1]]), "ctype " + what)
    t.check(TIME.match(r["time"] or ""), "time " + what)
    data = blob[name]
    t.check(r["size"] == len(data) and r["sha256"] == hashlib.sha256(data).hexdigest()
            and r["md5"] == hashlib.md5(data).hexdigest()
            and r["sha1"] == hashlib.sha1(data).hexdigest(), "digests " + what)
    t.check(r["media"] == "image" and r["quality"] >= 50, "image " + what)
    if page_url:
        t.check(r["record"] == "media" and r["page_url"] == page_url, "page_url " + what)
    if verdict == "match":
        m = r["matches"][0]
        t.check(r["match_count"] == 1 and m["entry_id"] == entry[name] and m["type"] == "pdq"
                and m["list"] == "known" and m["reference"].endswith(name), "match " + what)
    else:
        t.check(r["matches"] == [], "no matches " + what)
    for k in ("data", "body", "content"):
        t.check(k not in r, "no content in evidence")


def check_page(base):
    """The page: every medium fetched, checked and listed with its verdict."""
    url = base + "/pages/index.html"
    rows = records("--exact", url, rc=1)
    t.check(len(rows) == 7, f"page + 6 media records, got {len(rows)}: {rows}")
    if len(rows) != 7:
        return
    p = rows[0]
    want_media = [base + "/redirect/2/" + K0, base + "/img/" + K0, base + "/img/" + K1,
                  base + "/img/" + U0, base + "/img/" + U1, base + "/missing/nothing.jpg"]
    t.check(p["record"] == "page" and p["verdict"] == "match" and p["http_status"] == 200
            and p["media"] == "html" and p["content_type"] == "text/html; charset=utf-8", f"{p}")
    body = page(base).encode()
    t.check(p["size"] == len(body) and p["sha256"] == hashlib.sha256(body).hexdigest(), "page digest")
    t.check([m["url"] for m in p["media_items"]] == want_media, f"media list {p['media_items']}")
    t.check([m["verdict"] for m in p["media_items"]] ==
            ["match", "match", "match", "no_match", "no_match", "error"], f"{p['media_items']}")
    t.check(p["media_count"] == 6 and p["media_matched"] == 3 and p["media_errors"] == 1
            and p["media_truncated"] is False, f"counts {p}")
    check_media(rows[1], K0, "match", want_media[0], base + "/img/" + K0, 2, url)
    check_media(rows[2], K0, "match", want_media[1], want_media[1], 0, url)
    check_media(rows[3], K1, "match", want_media[2], want_media[2], 0, url)
    check_media(rows[4], U0, "no_match", want_media[3], want_media[3], 0, url)
    check_media(rows[5], U1, "no_match", want_media[4], want_media[4], 0, url)
    for r in rows[1:4]:
        t.check(r["matches"][0]["distance"] == 0 and r["pdq"] == pdq[os.path.basename(r["final_url"])],
                f"--exact: the PDQ hash of 'pmatch hash' {r}")
    miss = rows[6]
    t.check(miss["verdict"] == "error" and miss["error_code"] == "http_status"
            and miss["http_status"] == 404 and "size" not in miss and "sha256" not in miss, f"{miss}")


# 1. A page over HTTP and the same over HTTPS with the test's CA.
check_page(H)
rows = records("--cacert", cert, S + "/img/" + K1, rc=1)
check_media(rows[0], K1, "match", S + "/img/" + K1, S + "/img/" + K1)
base_env_https = dict(base_env)
code, out, err = pmatch("--json", "--quiet", "--cacert", cert, "--exact", S + "/pages/index.html",
                        rc=1)
rows = [json.loads(line) for line in out.splitlines()]
t.check([r["verdict"] for r in rows] == ["match", "match", "match", "match", "no_match",
                                         "no_match", "error"], f"https page: {rows}")
t.check(all(r["final_url"].startswith(S) for r in rows), "https all the way")
# Without the CA, the certificate is refused: an error, nothing checked.
rows = records(S + "/img/" + K0, rc=2)
t.check(rows[0]["verdict"] == "error" and rows[0]["error_code"] == "tls_error"
        and "sha256" not in rows[0], f"untrusted certificate: {rows}")

# 2. Direct image URLs: exit status as for files.
rows = records(H + "/img/" + U0, rc=0)
check_media(rows[0], U0, "no_match", H + "/img/" + U0, H + "/img/" + U0)
t.check(rows[0]["record"] == "url", f"{rows[0]}")
rows = records(H + "/img/" + K1, H + "/img/" + U1, rc=1)
check_media(rows[0], K1, "match", H + "/img/" + K1, H + "/img/" + K1)
check_media(rows[1], U1, "no_match", H + "/img/" + U1, H + "/img/" + U1)

# 3. Redirects: followed and recorded; too many, a loop, or to another scheme: errors.
rows = records(H + f"/redirect/3/{K0}", rc=1)
check_media(rows[0], K0, "match", H + f"/redirect/3/{K0}", H + "/img/" + K0, 3)
rows = records("--max-redirects", "2", H + f"/redirect/3/{K0}", rc=2)
t.check(rows[0]["error_code"] == "too_many_redirects" and rows[0]["verdict"] == "error", f"{rows}")
rows = records(H + "/loop", rc=2)
t.check(rows[0]["error_code"] == "too_many_redirects" and rows[0]["redirects"] == 5, f"loop {rows}")
rows = records(H + "/to-file", rc=2)
t.check(rows[0]["error_code"] == "scheme_not_allowed", f"redirect to file:// {rows}")
rows = records("ftp://127.0.0.1:1/x.jpg", rc=2)
t.check(rows[0]["error_code"] == "scheme_not_allowed", f"ftp:// {rows}")
pmatch("--protocols", "http,gopherx", H + "/img/" + K0, rc=2)

# 4. A slow server: the total timeout ends it.
t0 = time.monotonic()
rows = records("--timeout", "1", H + "/slow", rc=2)
t.check(rows[0]["error_code"] == "timeout" and time.monotonic() - t0 < 4, f"slow: {rows}")

# 5. Oversized bodies, declared or chunked: refused at the limit, nothing checked.
for path in ("/big", "/chunked-big"):
    rows = records("--max-bytes", "100000", H + path, rc=2)
    t.check(rows[0]["error_code"] == "too_large" and "sha256" not in rows[0], f"{path}: {rows}")
rows = records("--max-bytes", str(len(blob[K0])), H + "/img/" + K0, rc=1)  # exactly the limit
rows = records("--max-bytes", str(len(blob[K0]) - 1), H + "/img/" + K0, rc=2)
t.check(rows[0]["error_code"] == "too_large", f"one byte over: {rows}")

# 6. Wrong content types: the bytes decide, the declared type is recorded.
rows = records(H + "/wrongtype/" + K0, rc=1)
check_media(rows[0], K0, "match", H + "/wrongtype/" + K0, H + "/wrongtype/" + K0, ctype="text/html")
rows = records(H + "/wrongtype-page", rc=1)
t.check(rows[0]["record"] == "page" and rows[0]["content_type"] == "application/octet-stream"
        and rows[0]["media_count"] == 6, f"HTML by sniffing: {rows[0]}")

# 7. A 404.
rows = records(H + "/missing.jpg", rc=2)
t.check(rows[0]["http_status"] == 404 and rows[0]["error_code"] == "http_status"
        and rows[0]["error"] == "HTTP status 404", f"404: {rows}")

# 7b. Not images: checked by digest (a labelled SHA-256 entry matches), else not_image.
rows = records(H + "/doc.txt", H + "/plain.txt", H + "/empty", rc=1)
d, p_, e = rows
t.check(d["verdict"] == "match" and d["media"] == "other" and d["matches"][0]["type"] == "sha256"
        and d["matches"][0]["label"] == "test-doc" and d["matches"][0]["list"] == "exact"
        and d["sha256"] == hashlib.sha256(DOC).hexdigest(), f"digest match: {d}")
t.check(p_["verdict"] == "not_image" and p_["md5"] == hashlib.md5(PLAIN).hexdigest()
        and p_["matches"] == [], f"not an image: {p_}")
t.check(e["verdict"] == "not_image" and e["size"] == 0
        and e["sha256"] == hashlib.sha256(b"").hexdigest(), f"empty body: {e}")
records(H + "/plain.txt", rc=0)

# 8. Bounded media per page; any number of connections gives the same records.
rows = records("--max-media", "2", H + "/many.html", rc=1)
t.check(rows[0]["media_count"] == 2 and rows[0]["media_truncated"] is True and len(rows) == 3,
        f"--max-media 2: {rows[0]}")
# addresses_tried lists the connections an item opened: with reuse it depends on timing.
strip = lambda rs: [{k: v for k, v in r.items() if k not in ("time", "duration_ms", "addresses_tried")}
                    for r in rs]
one = strip(records("--connections", "1", H + "/many.html", H + "/pages/index.html", rc=1))
four = strip(records("--connections", "4", H + "/many.html", H + "/pages/index.html", rc=1))
t.check(one == four and len(one) == 1 + 4 + 1 + 6, "same records with 1 or 4 connections")

# 9. URL lists, mixed with paths; evidence file = the --json records.
lists = tempfile.mkdtemp(prefix="lm-url-lists-")
ulist = os.path.join(lists, "urls.txt")
with open(ulist, "w") as f:
    f.write(f"# reported today\n\n  {H}/img/{U0}  \n{H}/img/{K1}\n")
evidence = os.path.join(lists, "case-42.jsonl")
code, out, err = pmatch("--json", "--quiet", "--url-list", ulist, "--evidence", evidence,
                        os.path.join(served, U1), H + "/img/" + K0, rc=1)
rows = [json.loads(line) for line in out.splitlines()]
t.check(len(rows) == 4 and rows[0]["path"].endswith(U1) and rows[0]["verdict"] == "no_match",
        f"file first: {rows}")
t.check([r.get("requested_url") for r in rows[1:]] ==
        [H + "/img/" + K0, H + "/img/" + U0, H + "/img/" + K1], f"URL order: {rows}")
with open(evidence) as f:
    ev = [json.loads(line) for line in f]
t.check(ev == rows[1:], "the evidence file holds the --json URL records")
pmatch("--quiet", "--url-list", ulist, "--evidence", evidence, rc=1)
with open(evidence) as f:
    t.check(len(f.readlines()) == 5, "evidence is appended, never truncated")
pmatch("--url-list", os.path.join(lists, "nope.txt"), rc=2)
# A list saved with a UTF-8 byte order mark: its first URL is a URL, not "\ufeffhttp://...".
bom = os.path.join(lists, "bom.txt")
with open(bom, "wb") as f:
    f.write(b"\xef\xbb\xbf" + f"{H}/img/{K1}\n".encode())
code, out, err = pmatch("--json", "--quiet", "--url-list", bom, rc=1)
rows = [json.loads(line) for line in out.splitlines()]
t.check(len(rows) == 1 and rows[0].get("requested_url") == H + "/img/" + K1 and
        rows[0]["verdict"] == "match", f"URL list with a BOM: {rows} {err}")

# 10. Readable output: one verdict line per item, the page's media under it, a summary.
code, out, err = pmatch("--quiet", "--exact", H + "/pages/index.html", H + "/missing.jpg", rc=1)
lines = out.splitlines()
e0, e1 = entry[K0], entry[K1]
want = [f"MATCH     {H}/pages/index.html (page: 6 media, 3 matched, 1 errors)",
        f"  MATCH     {H}/redirect/2/{K0} : entry {e0} (pdq distance 0, list known)",
        f"  MATCH     {H}/img/{K0} : entry {e0} (pdq distance 0, list known)",
        f"  MATCH     {H}/img/{K1} : entry {e1} (pdq distance 0, list known)",
        f"  no match  {H}/img/{U0}",
        f"  no match  {H}/img/{U1}",
        f"  ERROR     {H}/missing/nothing.jpg: http_status: HTTP status 404",
        f"ERROR     {H}/missing.jpg: http_status: HTTP status 404"]
t.check(lines == want, "text output:\n" + out + "\nexpected:\n" + "\n".join(want))
t.check(re.search(r"pmatch scan: 8 URLs fetched \(1 pages, 6 media from pages\) in [0-9.]+ s: "
                  r"3 matched, 0 low quality, 0 not images, 2 errors", err), f"summary: {err}")

# 11. User-Agent, --proxy and the proxy environment variables.
pmatch("--quiet", "--user-agent", "hotline-case-7", H + "/img/" + U0 + "?ua", rc=0)
t.check(seen["ua"].get(f"/img/{U0}?ua") == "hotline-case-7", f"user agent: {seen['ua']}")
pmatch("--quiet", H + "/img/" + U0 + "?ua2", rc=0)
t.check((seen["ua"].get(f"/img/{U0}?ua2") or "").startswith("pmatch/"), f"default UA {seen['ua']}")
rows = records("--proxy", H, f"http://reported.invalid/img/{K0}", rc=1)
t.check(rows and rows[0]["verdict"] == "match" and rows[0]["final_url"] ==
        f"http://reported.invalid/img/{K0}" and seen["proxied"] == [f"http://reported.invalid/img/{K0}"],
        f"--proxy: {rows} {seen['proxied']}")
env = dict(base_env, http_proxy=H)
rows = records(f"http://other.invalid/img/{K1}", rc=1, env=env)
t.check(rows and rows[0]["verdict"] == "match" and len(seen["proxied"]) == 2, f"http_proxy: {rows}")
rows = records(f"http://other.invalid/img/{K1}", rc=2)
t.check(rows[0]["error_code"] == "resolve_failed", f"without a proxy .invalid does not resolve: {rows}")

# 12. A video (Meta's sample, if present): sniffed whatever its name and type; frames matched.
if VIDEO:
    rows = records(H + "/video/clip.bin", rc=1)
    r = rows[0]
    t.check(r["verdict"] == "match" and r["media"] == "video" and r["frames_hashed"] > 0
            and r["matched_frames"] and r["matches"][0]["list"] == "chair-frames"
            and r["sha256"] == hashlib.sha256(VIDEO).hexdigest(), f"video: {r}")

# 15. The address guard (issue 19, item 11): loopback, private, link-local ... refused by
# default on every connection (redirects, page media, proxies), obfuscated spellings too.
def internal_hits():
    return [h for h in seen["hits"] if h[1].startswith("/internal-admin") or "rebind" in h[1]]


def refused(r, address, cls, what):
    t.check(r["verdict"] == "error" and r["error_code"] == "address_not_allowed"
            and r["refused_address"] == address and r["refused_class"] == cls
            and "sha256" not in r and address in r["error"], f"{what}: refused {address}: {r}")


rows = records(H + "/internal-admin?action=delete", rc=2, allow=False)
refused(rows[0], "127.0.0.1", "loopback", "default")
t.check(rows[0]["addresses_tried"] == [{"address": "127.0.0.1", "port": PORT, "allowed": False,
                                        "class": "loopback"}], f"addresses tried: {rows[0]}")
for host, addr in (("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
                   ("0177.0.0.1", "127.0.0.1"), ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
                   ("127.0.0.2", "127.0.0.2")):
    rows = records(f"http://{host}:{PORT}/internal-admin?action=delete", rc=2, allow=False)
    refused(rows[0], addr, "loopback", host)
rows = records(f"http://localhost:{PORT}/internal-admin?action=delete", rc=2, allow=False)
t.check(rows[0]["error_code"] == "address_not_allowed" and rows[0]["refused_class"] == "loopback"
        and rows[0]["refused_address"] in ("127.0.0.1", "::1")
        and all(not a["allowed"] for a in rows[0]["addresses_tried"]), f"localhost: {rows}")
rows = records("--allow-private", f"http://0.0.0.0:{PORT}/internal-admin", rc=2, allow=False)
refused(rows[0], "0.0.0.0", "unspecified", "--allow-private does not allow 0.0.0.0")
# Allowed where listed: --allow-private, or exactly the --allow-net networks.
rows = records("--allow-private", H + "/img/" + K0, rc=1, allow=False)
t.check(rows[0]["verdict"] == "match", f"--allow-private: {rows}")
rows = records("--allow-net", "127.0.0.2/32", H2 + "/img/" + K0, H + "/img/" + K1, rc=1,
               allow=False)
t.check(rows[0]["verdict"] == "match" and rows[0]["server_ip"] == "127.0.0.2", f"{rows[0]}")
refused(rows[1], "127.0.0.1", "loopback", "not in --allow-net")
# A redirect from an allowed server to a refused address: refused before any request.
rows = records("--allow-net", "127.0.0.2/32", H2 + "/to-internal", rc=2, allow=False)
refused(rows[0], "127.0.0.1", "loopback", "redirect")
r = rows[0]
t.check(r["redirects"] == 1 and [(h["url"], h["http_status"], h["server_ip"])
                                 for h in r["redirect_chain"]] ==
        [(H2 + "/to-internal", 302, "127.0.0.2"),
         (f"http://127.0.0.1:{PORT}/internal-admin?action=delete", 0, "127.0.0.1")],
        f"redirect chain to the refused hop: {r}")
# A page on an allowed server embedding media on a refused address.
rows = records("--allow-net", "127.0.0.2/32", H2 + "/guard-page.html", rc=1, allow=False)
t.check(len(rows) == 3 and rows[0]["record"] == "page"
        and [m["verdict"] for m in rows[0]["media_items"]] == ["error", "match"], f"{rows}")
refused(rows[1], "127.0.0.1", "loopback", "page medium")
t.check(rows[2]["verdict"] == "match" and rows[2]["server_ip"] == "127.0.0.2", f"{rows[2]}")
# Proxies: the proxy's own address is guarded like any other (a loopback proxy must be
# allowed), and behind a proxy an IP-literal or localhost host is checked before the request.
rows = records("--proxy", H, f"http://reported.invalid/img/{K0}", rc=2, allow=False)
refused(rows[0], "127.0.0.1", "loopback", "a loopback proxy")
proxied = len(seen["proxied"])
rows = records("--allow-net", "127.0.0.2/32", "--proxy", H2, "http://10.1.2.3/internal-admin",
               "http://169.254.169.254/latest/meta-data/", "http://2130706433/internal-admin",
               "http://[fd00::1]/internal-admin", "http://localhost/internal-admin",
               "http://app.localhost./internal-admin", rc=2, allow=False)
for r, (addr, cls) in zip(rows, (("10.1.2.3", "private"), ("169.254.169.254", "link_local"),
                                 ("127.0.0.1", "loopback"), ("[fd00::1]", "private"),
                                 ("localhost", "loopback"), ("app.localhost.", "loopback"))):
    refused(r, addr, cls, "behind a proxy")
t.check(len(rows) == 6 and len(seen["proxied"]) == proxied, f"nothing proxied: {seen['proxied']}")
rows = records("--allow-net", "127.0.0.2/32", "--proxy", H2, f"http://reported.invalid/img/{K0}",
               rc=1, allow=False)
t.check(rows[0]["verdict"] == "match", f"an allowed proxy: {rows}")
code, out, err = pmatch("--allow-net", "10.0.0.1/8", H + "/img/" + K0, rc=2, allow=False)
t.check("--allow-net 10.0.0.1/8: not a network" in err, f"bad --allow-net: {err}")
pmatch("--allow-net", "example.test", H + "/img/" + K0, rc=2, allow=False)
t.check(internal_hits() == [], f"nothing reached the internal paths: {internal_hits()}")

# 16. DNS rebinding: a test resolver answers rebind.test first with 127.0.0.2 (allowed),
# then with 127.0.0.1 (refused). The guard checks the address each socket connects to, so
# the page (first answer) is fetched and its medium on the same name (second answer) is
# refused; 127.0.0.1 never sees a request.
env = dict(base_env, LD_PRELOAD=os.environ["LM_REBIND_LIB"], LM_REBIND_NAME="rebind.test",
           LM_REBIND_ANSWERS="127.0.0.2,127.0.0.1",
           ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
rows = records("--allow-net", "127.0.0.2/32", f"http://rebind.test:{PORT}/rebind-page.html",
               rc=2, env=env, allow=False)
t.check(len(rows) == 2 and rows[0]["record"] == "page" and rows[0]["verdict"] == "error"
        and rows[0]["server_ip"] == "127.0.0.2"
        and rows[0]["addresses_tried"] == [{"address": "127.0.0.2", "port": PORT, "allowed": True,
                                            "class": "loopback"}], f"rebinding page: {rows}")
if len(rows) == 2:
    refused(rows[1], "127.0.0.1", "loopback", "rebinding")
    t.check(rows[1]["requested_url"] == f"http://rebind.test:{PORT}/img/{K0}?rebind", f"{rows[1]}")
t.check([h for h in seen["hits"] if "rebind" in h[1]] == [("127.0.0.2", "/rebind-page.html")],
        f"only the page was requested, from 127.0.0.2: {seen['hits'][-5:]}")

# 17. Content encodings (item 5): asked for, decoded, the limit holds for decoded bytes.
rows = records("--exact", H + "/gzip/" + K0, H + "/deflate/" + K1, rc=1)
for r, name, enc in ((rows[0], K0, "gzip"), (rows[1], K1, "deflate")):
    t.check(r["verdict"] == "match" and r["content_encoding"] == enc
            and r["size"] == len(blob[name])
            and r["sha256"] == hashlib.sha256(blob[name]).hexdigest()
            and r["matches"][0]["entry_id"] == entry[name], f"{enc}: {r}")
ae = seen["ae"].get("/gzip/" + K0) or ""
t.check("gzip" in ae and "deflate" in ae, f"Accept-Encoding sent: {ae!r}")
t0 = time.monotonic()
rows = records("--max-bytes", "1000000", H + "/gzip-bomb", rc=2)
t.check(rows[0]["error_code"] == "too_large" and "1000000-byte limit" in rows[0]["error"]
        and "sha256" not in rows[0], f"gzip bomb: {rows}")
rows = records(H + "/bad-gzip", rc=2)
t.check(rows[0]["error_code"] == "bad_content_encoding" and "sha256" not in rows[0],
        f"bad gzip: {rows}")
# data: media in pages: decoded in memory and checked; non-media data: URLs ignored.
rows = records("--exact", H + "/data-page.html", rc=1)
t.check(len(rows) == 4 and [m["url"] for m in rows[0]["media_items"]] ==
        ["data:image/jpeg;base64,", "data:image/png;base64,", H + "/img/" + U0]
        and [m["verdict"] for m in rows[0]["media_items"]] == ["match", "error", "no_match"],
        f"data: page {rows[:1]}")
if len(rows) == 4:
    d = rows[1]
    t.check(d["record"] == "media" and d["requested_url"] == "data:image/jpeg;base64,"
            and d["content_type"] == "image/jpeg" and d["size"] == len(blob[K1])
            and d["sha256"] == hashlib.sha256(blob[K1]).hexdigest() and d["verdict"] == "match"
            and d["matches"][0]["entry_id"] == entry[K1] and d["redirect_chain"] == []
            and d["addresses_tried"] == [], f"data: medium {d}")
    t.check(rows[2]["error_code"] == "bad_data_url", f"bad data: URL {rows[2]}")
    t.check(all(len(json.dumps(r)) < 4000 for r in rows), "no data: content in the records")

# 18. Evidence (item 12): credentials stripped, redirect chain, addresses, TLS certificate,
# the list generation and version the verdict came from.
code, out, err = pmatch("--json", "--quiet", f"http://alice:s3cr3t@127.0.0.1:{PORT}/redirect/2/{K0}",
                        rc=1)
t.check("s3cr3t" not in out and "alice" not in out and "s3cr3t" not in err, f"credentials: {out}")
r = json.loads(out.splitlines()[0])
t.check(r["requested_url"] == f"{H}/redirect/2/{K0}" and r["final_url"] == f"{H}/img/{K0}",
        f"redacted URLs: {r}")
t.check([(h["url"], h["http_status"], h["server_ip"], h["server_port"]) for h in r["redirect_chain"]]
        == [(f"{H}/redirect/2/{K0}", 302, "127.0.0.1", PORT),
            (f"{H}/redirect/1/{K0}", 302, "127.0.0.1", PORT),
            (f"{H}/img/{K0}", 200, "127.0.0.1", PORT)], f"redirect chain: {r['redirect_chain']}")
t.check(r["addresses_tried"] == [{"address": "127.0.0.1", "port": PORT, "allowed": True,
                                  "class": "loopback"}], f"addresses: {r}")
rows = records(f"http://bob@127.0.0.1:{PORT}/img/{K0}?who=a@b", rc=1)  # '@' after the host stays
t.check(rows[0]["requested_url"] == f"{H}/img/{K0}?who=a@b" and rows[0]["verdict"] == "match",
        f"user only, '@' in the query: {rows}")
code, out, err = pmatch("--quiet", f"http://alice:s3cr3t@127.0.0.1:{PORT}/img/{K0}", rc=1)
t.check("s3cr3t" not in out and out.startswith(f"MATCH     {H}/img/{K0} :"), f"text: {out}")
code, sout, serr = t.run("db", "stats", "--db", db, check_rc=0)
gen = int(re.search(r"generation (\d+)", sout).group(1))
m = r["matches"][0]
t.check(r["list_generation"] == gen and m["list"] == "known" and m["list_version"] == "v7"
        and m["list_source"] == "unit-test-supplier", f"list generation {gen} and version: {r}")
with open(cert) as f:
    der = ssl.PEM_cert_to_DER_cert(f.read())
want_tls = {"subject": "CN=127.0.0.1", "issuer": "CN=127.0.0.1",
            "sha256": hashlib.sha256(der).hexdigest()}
rows = records("--cacert", cert, S + "/img/" + K1, S + "/redirect/1/" + K0, rc=1)
t.check(rows[0]["tls"] == want_tls and rows[0]["redirect_chain"][0]["tls"] == want_tls,
        f"TLS certificate: {rows[0]} want {want_tls}")
t.check(rows[1]["tls"] == want_tls and len(rows[1]["redirect_chain"]) == 2
        and all(h["tls"] == want_tls for h in rows[1]["redirect_chain"]), f"TLS per hop: {rows[1]}")
rows = records(H + "/img/" + K0, rc=1)
t.check("tls" not in rows[0] and "tls" not in rows[0]["redirect_chain"][0], f"no TLS: {rows}")
rows = records(S + "/img/" + K0, rc=2)  # an untrusted certificate: no request, so no hop's TLS
t.check(rows[0]["error_code"] == "tls_error", f"{rows}")

# 13. Progress on a terminal (stderr a pty), none otherwise.
master, slave = pty.openpty()
p = subprocess.Popen([t.PMATCH, "scan", "--db", db, *LOOPBACK, "--timeout", "1", H + "/slow",
                      H + "/img/" + K0],
                     stdout=subprocess.PIPE, stderr=slave, cwd=cwd, env=base_env)
p.wait(timeout=30)
os.close(slave)
tty = b""
try:
    while True:
        chunk = os.read(master, 4096)
        if not chunk:
            break
        tty += chunk
except OSError:
    pass
os.close(master)
t.check(b"\r\x1b[K" in tty and b"matched" in tty, f"progress on a terminal: {tty!r}")

# 14. Nothing was written: pmatch's cwd, TMPDIR and HOME are still empty.
for d in (cwd, tmpdir, home):
    t.check(os.listdir(d) == [], f"{d} stayed empty: {os.listdir(d)}")

http_srv.shutdown()
http_srv2.shutdown()
https_srv.shutdown()
for d in (cwd, tmpdir, home, lists, work):
    shutil.rmtree(d, ignore_errors=True)
t.finish("cli-scan-url")
