"""pmatch serve end to end: the real server on a loopback port (port 0), driven by
curl and urllib. Every route, every refusal with its status and JSON code, tokens,
oversized and malformed bodies, a slow client, a busy server, a list refresh during
traffic (no failed request), and a graceful SIGTERM with a request in flight.
Standard library only; images are generated (benign); nothing leaves 127.0.0.1."""
import hashlib
import json
import os
import shutil
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from clitest import check, fail, finish, in_tmpdir  # noqa: E402

PMATCH = os.environ["LM_PMATCH"]
MAKE_IMAGES = os.environ["LM_MAKE_IMAGES"]
RO = "match-token-0123456789abcdef"
ADMIN = "admin-token-0123456789abcdef"


def pm(*args, check_rc=0):
    p = subprocess.run([PMATCH, *args], capture_output=True, text=True)
    if check_rc is not None and p.returncode != check_rc:
        fail(f"pmatch {' '.join(args)}: exit {p.returncode}: {p.stderr[:500]}")
    return p


class Server:
    def __init__(self, tmp, db, name, *extra):
        self.portfile = os.path.join(tmp, name + ".port")
        self.logpath = os.path.join(tmp, name + ".log")
        self.log = open(self.logpath, "w")
        self.proc = subprocess.Popen(
            [PMATCH, "serve", "--db", db, "--port", "0", "--port-file", self.portfile, *extra],
            stderr=self.log)
        deadline = time.time() + 30
        while not os.path.exists(self.portfile):
            if self.proc.poll() is not None or time.time() > deadline:
                self.log.close()
                raise SystemExit("server did not start: " + open(self.logpath).read())
            time.sleep(0.05)
        self.port = int(open(self.portfile).read())
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.log.close()
        return rc

    def logs(self):
        if not self.log.closed:
            self.log.flush()
        return [json.loads(l) for l in open(self.logpath) if l.startswith("{")]


def req(url, data=None, token=None, method=None, headers=None, timeout=30):
    """(status, headers, body bytes) for any status."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    r = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(r, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def jreq(url, data=None, token=RO, **kw):
    st, hd, body = req(url, data, token, **kw)
    try:
        return st, json.loads(body)
    except ValueError:
        fail(f"{url}: not JSON ({st}): {body[:200]!r}")
        return st, None


def expect_error(url, status, code, data=None, token=RO, **kw):
    st, j = jreq(url, data, token, **kw)
    ok = st == status and j and j.get("error") == code and j.get("status") == status and j.get("message")
    check(ok, f"{url}: expected {status}/{code}, got {st} {j}")
    return j


def multipart(field, filename, payload, extra=None):
    boundary = "----pmatchtestboundary7MA4YWxkTrZu0gW"
    parts = []
    for k, v in (extra or {}).items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode())
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + payload + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def curl(*args):
    p = subprocess.run(["curl", "-s", "-S", "--max-time", "30", "-w", "\n%{http_code}", *args],
                       capture_output=True)
    out = p.stdout.decode()
    body, _, code = out.rpartition("\n")
    return int(code or 0), body


def main():
    if not shutil.which("curl"):
        print("curl not installed", file=sys.stderr)
        sys.exit(1)
    in_tmpdir("lm-serve-", run)
    finish("serve")


def run(tmp):
    known, inc = os.path.join(tmp, "known"), os.path.join(tmp, "incoming")
    subprocess.run([MAKE_IMAGES, known, "6", "--variants=" + inc, "--seed=18"], check=True,
                   capture_output=True)
    files = sorted(os.listdir(known))
    db = os.path.join(tmp, "db")
    pm("db", "init", "--db", db)
    # list "demo": the first four images; list "other": the fifth; the sixth is added live.
    lines = pm("hash", *[os.path.join(known, f) for f in files]).stdout.splitlines()
    pdq = {os.path.basename(l.split(",")[2]): l.split(",")[0] for l in lines}
    with open(os.path.join(tmp, "demo.pdq"), "w") as f:
        f.write("\n".join(lines[:4]) + "\n")
    with open(os.path.join(tmp, "other.pdq"), "w") as f:
        f.write(lines[4] + "\n")
    pm("db", "import", "--db", db, "--list", "demo", os.path.join(tmp, "demo.pdq"))
    pm("db", "import", "--db", db, "--list", "other", os.path.join(tmp, "other.pdq"))
    # an MD5 list entry: the exact bytes of known image 0
    img0 = open(os.path.join(known, files[0]), "rb").read()
    md5_0 = hashlib.md5(img0).hexdigest()
    with open(os.path.join(tmp, "md5.txt"), "w") as f:
        f.write(md5_0 + "\n")
    pm("db", "import", "--db", db, "--list", "digests", "--format", "md5", os.path.join(tmp, "md5.txt"))
    tokens = os.path.join(tmp, "tokens")
    with open(tokens, "w") as f:
        f.write(f"# comment\nmatch {RO}\nadmin {ADMIN}\n")
    os.chmod(tokens, 0o600)

    variants = sorted(os.listdir(inc))
    var0 = open(os.path.join(inc, [v for v in variants if v.startswith(files[0].split(".")[0])][0]), "rb").read()
    var4 = open(os.path.join(inc, [v for v in variants if v.startswith(files[4].split(".")[0])][0]), "rb").read()
    unrelated = open(os.path.join(inc, [v for v in variants if v.startswith("unrelated")][0]), "rb").read()

    s = Server(tmp, db, "a", "--tokens", tokens, "--max-body", "2000000", "--max-batch", "50",
               "--refresh-seconds", "0", "--workers", "2")
    try:
        basic_routes(s, pdq, files)
        check_routes(s, var0, var4, unrelated, img0, md5_0)
        lookup_routes(s, pdq, files, md5_0)
        hma_routes(s, pdq, files, var0, img0, md5_0)
        refusals(s, pdq, files)
        refresh_during_traffic(s, db, tmp, pdq, files, lines)
        admin_routes(s, tmp, var0, unrelated, pdq, files)
    finally:
        rc = s.stop()
        check(rc == 0, f"server exit status {rc} after SIGTERM")
    logs = s.logs()
    reqs = [l for l in logs if l.get("event") == "request"]
    check(len(reqs) > 50, f"request log lines: {len(reqs)}")
    check(all("route" in l and "status" in l and "ms" in l for l in reqs), "log lines have route/status/ms")
    blob = open(s.logpath, "rb").read()
    check(b"\xff\xd8" not in blob and RO.encode() not in blob and ADMIN.encode() not in blob,
          "logs hold neither content nor tokens")
    limits_server(tmp, db, var0)
    open_server(tmp, db, var0)


def basic_routes(s, pdq, files):
    st, j = jreq(s.base + "/healthz", token=None)
    check(st == 200 and j == {"status": "ok"}, f"/healthz {st} {j}")
    st, j = jreq(s.base + "/readyz", token=None)
    check(st == 200 and j["status"] == "ready" and j["index_hashes"] == 5, f"/readyz {st} {j}")
    st, hd, body = req(s.base + "/status")
    check(st == 200 and body == b"I-AM-ALIVE", f"/status {st} {body!r}")
    st, doc = jreq(s.base + "/openapi.json", token=None)
    check(st == 200 and doc["openapi"].startswith("3."), "openapi document")
    for p in ["/v1/check", "/v1/lookup", "/v1/pdq", "/h/hash", "/m/lookup", "/m/raw_lookup", "/m/compare",
              "/m/index/status", "/c/banks", "/status", "/healthz", "/readyz", "/metrics"]:
        check(p in doc["paths"], f"openapi lacks {p}")
    st, hd, body = req(s.base + "/metrics")
    text = body.decode()
    check(st == 200 and "pmatch_list_generation " in text and "pmatch_index_hashes 5" in text
          and hd["Content-Type"].startswith("text/plain"), "metrics")


def check_routes(s, var0, var4, unrelated, img0, md5_0):
    # curl, raw body
    path = os.path.join(os.path.dirname(s.portfile), "var0.jpg")
    open(path, "wb").write(var0)
    code, body = curl("-H", "Authorization: Bearer " + RO, "--data-binary", "@" + path, s.base + "/v1/check")
    j = json.loads(body)
    check(code == 200 and j["verdict"] == "match" and j["media"] == "image", f"check var0 {code} {body[:300]}")
    m = j["matches"][0]
    check(m["list"] == "demo" and m["type"] == "pdq" and m["distance"] <= 31 and m["variant"] == "plain"
          and "label" in m and "entry_id" in m, f"match fields {m}")
    check(j["md5"] == hashlib.md5(var0).hexdigest() and j["sha256"] == hashlib.sha256(var0).hexdigest()
          and j["sha1"] == hashlib.sha1(var0).hexdigest() and j["size"] == len(var0), "check digests")
    check(len(j["pdq"]) == 64 and 0 <= j["quality"] <= 100 and j["width"] > 0, "check pdq/quality")
    # curl multipart
    code, body = curl("-H", "Authorization: Bearer " + RO, "-F", "file=@" + path, s.base + "/v1/check")
    check(code == 200 and json.loads(body)["verdict"] == "match", f"check multipart curl {code}")
    # urllib multipart with an extra text field
    data, hd = multipart("photo", "x.jpg", var4, {"note": "ignored"})
    st, j = jreq(s.base + "/v1/check", data, headers=hd)
    check(st == 200 and j["verdict"] == "match" and j["matches"][0]["list"] == "other", f"check var4 {st} {j}")
    # list filter
    st, j = jreq(s.base + "/v1/check?lists=demo", var4)
    check(st == 200 and j["verdict"] == "no_match" and j["matches"] == [], f"check filtered {j}")
    st, j = jreq(s.base + "/v1/check?lists=demo,other", var4)
    check(st == 200 and j["verdict"] == "match", "check filter two lists")
    st, j = jreq(s.base + "/v1/check", unrelated)
    check(st == 200 and j["verdict"] == "no_match", f"check unrelated {j.get('verdict')}")
    st, j = jreq(s.base + "/v1/check", img0)
    types = sorted(x["type"] for x in j["matches"])
    check(st == 200 and types == ["md5", "pdq"] and j["match_count"] == 2, f"check img0 digest+pdq {types}")
    st, j = jreq(s.base + "/v1/check", b"definitely not an image")
    check(st == 200 and j["verdict"] == "not_image" and j["decode_status"] == 4, f"not image {j}")
    st, j = jreq(s.base + "/v1/check", var0[: len(var0) // 3])
    check(st == 200 and j["verdict"] in ("not_image", "no_match", "match"), "truncated jpeg handled")
    st, j = jreq(s.base + "/v1/check?distance=0&dihedral=false&trim=0&exact=1", var0)
    check(st == 200, "check options")
    expect_error(s.base + "/v1/check?distance=300", 400, "bad_parameter", var0)
    expect_error(s.base + "/v1/check?dihedral=maybe", 400, "bad_parameter", var0)
    expect_error(s.base + "/v1/check", 400, "empty_body", b"", method="POST")
    expect_error(s.base + "/v1/check?lists=" + ",".join(f"l{i}" for i in range(40)), 400, "bad_parameter", var0)


def lookup_routes(s, pdq, files, md5_0):
    h0, h4 = pdq[files[0]], pdq[files[4]]
    st, j = jreq(f"{s.base}/v1/lookup?pdq={h0},{h4}&md5={md5_0}&md5={'0' * 32}")
    check(st == 200 and j["count"] == 4 and j["matched"] == 3, f"lookup get {j}")
    r = j["results"]
    check(r[0]["match"] and r[0]["matches"][0]["list"] == "demo" and r[0]["matches"][0]["distance"] == 0,
          "lookup pdq result")
    check(r[2]["type"] == "md5" and r[2]["matches"][0]["list"] == "digests", "lookup md5 result")
    check(not r[3]["match"], "lookup unknown md5")
    st, j = jreq(f"{s.base}/v1/lookup?pdq={h0},{h4}&lists=other")
    check([x["match"] for x in j["results"]] == [False, True], f"lookup filter {j}")
    st, j = jreq(f"{s.base}/v1/lookup?pdq=zz{h0[2:]}&sha1={'a' * 40}&sha256={'b' * 64}")
    check(st == 200 and j["results"][0]["error"] == "invalid_hash" and j["count"] == 3, f"lookup invalid {j}")
    body = json.dumps({"pdq": [h0, h4], "md5": md5_0, "sha256": ["c" * 64], "lists": ["demo", "digests"]}).encode()
    st, j = jreq(s.base + "/v1/lookup", body, headers={"Content-Type": "application/json"})
    check(st == 200 and [x["match"] for x in j["results"]] == [True, False, True, False], f"lookup post {j}")
    # a flipped bit still matches within the distance, and not with distance=0
    flipped = format(int(h0, 16) ^ 1, "064x")
    st, j = jreq(s.base + "/v1/pdq", json.dumps({"hashes": [flipped, md5_0, "1" * 40]}).encode())
    check(st == 200 and [x["match"] for x in j["results"]] == [True, True, False]
          and j["results"][0]["matches"][0]["distance"] == 1, f"pdq batch {j}")
    st, j = jreq(s.base + "/v1/pdq", json.dumps({"hashes": [flipped], "distance": 0}).encode())
    check(st == 200 and not j["results"][0]["match"], "pdq batch distance 0")
    expect_error(s.base + "/v1/pdq", 413, "too_many_hashes", json.dumps({"hashes": [h0] * 51}).encode())
    expect_error(s.base + "/v1/pdq", 400, "bad_json", b'{"hashes": [')
    expect_error(s.base + "/v1/pdq", 400, "bad_json", b'[1, 2]')
    expect_error(s.base + "/v1/pdq", 400, "bad_json", b'{"hashes": "x"}')
    expect_error(s.base + "/v1/pdq", 400, "bad_json", b'{"hashes": [1]}')
    expect_error(s.base + "/v1/pdq", 400, "bad_json", b'{"hashes": [], "hashes": []}')
    expect_error(s.base + "/v1/pdq", 400, "no_hashes", b'{"hashes": []}')
    expect_error(s.base + "/v1/lookup", 400, "bad_json", b'{"crc32": ["1"]}')
    expect_error(s.base + "/v1/lookup", 400, "no_hashes")
    expect_error(s.base + "/v1/pdq", 400, "bad_json", b"[" * 100000 + b"]" * 100000)


def hma_routes(s, pdq, files, var0, img0, md5_0):
    h0, h4 = pdq[files[0]], pdq[files[4]]
    # /h/hash: the reference (exact) PDQ, as pmatch hash prints it
    data, hd = multipart("photo", "k.jpg", img0)
    st, j = jreq(s.base + "/h/hash", data, headers=hd)
    check(st == 200 and j == {"pdq": h0}, f"/h/hash {st} {j} want {h0}")
    st, j = jreq(s.base + "/h/hash?types=pdq,md5,sha256", data, headers=hd)
    check(j.get("md5") == md5_0 and j.get("pdq") == h0 and len(j.get("sha256", "")) == 64, f"/h/hash types {j}")
    code, body = curl("-H", "Authorization: Bearer " + RO, "-F", "photo=@" + os.path.join(
        os.path.dirname(s.portfile), "var0.jpg"), s.base + "/h/hash")
    check(code == 200 and len(json.loads(body)["pdq"]) == 64, "curl /h/hash")
    data2, hd2 = multipart("audio", "k.jpg", img0)
    expect_error(s.base + "/h/hash", 400, "bad_parameter", data2, headers=hd2)
    expect_error(s.base + "/h/hash?url=http://127.0.0.1:1/x.jpg", 403, "url_lookups_disabled")
    dn, dh = multipart("photo", "n.bin", b"not an image at all")
    expect_error(s.base + "/h/hash", 400, "not_image", dn, headers=dh)
    # GET /m/lookup: {"BANK": [{"bank_content_id", "distance"}]}
    st, j = jreq(f"{s.base}/m/lookup?signal_type=pdq&signal={h0}")
    check(st == 200 and list(j) == ["demo"] and j["demo"][0]["distance"] == "0"
          and isinstance(j["demo"][0]["bank_content_id"], int), f"/m/lookup {j}")
    st, j = jreq(f"{s.base}/m/lookup?signal_type=video_md5&signal={md5_0}")
    check(st == 200 and list(j) == ["digests"], f"/m/lookup md5 {j}")
    st, j = jreq(f"{s.base}/m/lookup?signal_type=pdq&signal={h0}&banks=other")
    check(st == 200 and j == {}, f"/m/lookup banks filter {j}")
    expect_error(f"{s.base}/m/lookup?signal_type=pdq&signal=abc", 400, "invalid_hash")
    expect_error(f"{s.base}/m/lookup?signal_type=clip&signal=abc", 400, "bad_parameter")
    expect_error(f"{s.base}/m/lookup?signal_type=pdq", 400, "bad_parameter")
    expect_error(f"{s.base}/m/lookup?url=http://127.0.0.1:1/", 403, "url_lookups_disabled")
    # POST /m/lookup: {"pdq": {"BANK": [...]}}
    data, hd = multipart("photo", "v.jpg", var0)
    st, j = jreq(s.base + "/m/lookup", data, headers=hd)
    check(st == 200 and list(j) == ["pdq"] and list(j["pdq"]) == ["demo"], f"POST /m/lookup {j}")
    st, j = jreq(s.base + "/m/lookup?include_hashes=true&banks=other", data, headers=hd)
    check(st == 200 and j["pdq"] == {} and len(j["hashes"]["pdq"]) == 64, f"POST /m/lookup hashes {j}")
    data, hd = multipart("photo", "k.jpg", img0)
    st, j = jreq(s.base + "/m/lookup", data, headers=hd)
    check(st == 200 and "demo" in j["pdq"] and "digests" in j.get("md5", {}), f"POST /m/lookup img0 {j}")
    # raw_lookup
    st, j = jreq(f"{s.base}/m/raw_lookup?signal_type=pdq&signal={h0}")
    check(st == 200 and len(j["matches"]) == 1 and isinstance(j["matches"][0], int), f"raw_lookup {j}")
    st, j = jreq(f"{s.base}/m/raw_lookup?signal_type=pdq&signal={h0}&include_distance=true")
    check(st == 200 and j["matches"][0]["distance"] == "0", f"raw_lookup distance {j}")
    st, j = jreq(f"{s.base}/m/raw_lookup?signal_type=pdq&signal={h0}&banks=other")
    check(st == 200 and j["matches"] == [], "raw_lookup banks")
    expect_error(f"{s.base}/m/raw_lookup?signal_type=pdq&signal={h0}&include_distance=x", 400, "bad_parameter")
    # compare
    far = format(int(h0, 16) ^ ((1 << 40) - 1), "064x")
    st, j = jreq(s.base + "/m/compare", json.dumps({"pdq": [h0, far], "md5": [md5_0, md5_0]}).encode())
    check(st == 200 and j["pdq"] == [False, {"distance": 40}] and j["md5"][0] is True, f"compare {j}")
    expect_error(s.base + "/m/compare", 400, "bad_json", json.dumps({"pdq": [h0]}).encode())
    expect_error(s.base + "/m/compare", 400, "invalid_hash", json.dumps({"pdq": [h0, "x"]}).encode())
    expect_error(s.base + "/m/compare", 400, "bad_parameter", json.dumps({"tmk": [h0, h0]}).encode())
    # index status
    st, j = jreq(s.base + "/m/index/status")
    check(st == 200 and j["pdq"]["present"] and j["pdq"]["size"] == 5 and j["pdq"]["built_to"] > 0, f"index {j}")
    st, j = jreq(s.base + "/m/index/status?signal_type=pdq")
    check(list(j) == ["pdq"], "index status filter")
    expect_error(s.base + "/m/index/status?signal_type=nope", 400, "bad_parameter")


def refusals(s, pdq, files):
    h0 = pdq[files[0]]
    url = f"{s.base}/m/lookup?signal_type=pdq&signal={h0}"
    st, hd, body = req(url)
    check(st == 401 and json.loads(body)["error"] == "missing_token" and "Bearer" in hd.get("WWW-Authenticate", ""),
          f"no token {st}")
    expect_error(url, 401, "missing_token", headers={"Authorization": "Basic abc"}, token=None)
    expect_error(url, 401, "invalid_token", token="wrong-token-0123456789abcdef")
    expect_error(url, 401, "invalid_token", token=RO[:-1])
    st, j = jreq(url, token=ADMIN)
    check(st == 200, "admin token can match")
    expect_error(s.base + "/c/banks", 403, "forbidden", b"{}", token=RO)
    expect_error(s.base + "/c/bank/demo/content", 403, "forbidden", b"x", token=RO)
    expect_error(s.base + "/v1/admin/lists", 403, "forbidden", token=RO)
    expect_error(s.base + "/v1/admin/lists", 401, "missing_token", token=None)
    expect_error(s.base + "/nope", 404, "not_found")
    expect_error(s.base + "/v1/check", 405, "method_not_allowed")
    expect_error(s.base + "/m/compare", 405, "method_not_allowed", method="DELETE")
    # oversized: with Content-Length (refused before the body), chunked (read and dropped)
    big = os.path.join(os.path.dirname(s.portfile), "big.bin")
    open(big, "wb").write(b"\0" * 2500000)
    for extra in ([], ["-H", "Transfer-Encoding: chunked"]):
        code, body = curl("-H", "Authorization: Bearer " + RO, *extra, "--data-binary", "@" + big, s.base + "/v1/check")
        check(code == 413 and json.loads(body)["error"] == "body_too_large", f"oversized {extra} {code} {body}")
        code, body = curl("-H", "Authorization: Bearer " + RO, *extra, "-F", "photo=@" + big, s.base + "/m/lookup")
        check(code == 413 and json.loads(body)["error"] == "body_too_large", f"oversized multipart {extra} {code}")
    # malformed multipart
    expect_error(s.base + "/m/lookup", 400, "bad_multipart", b"xx", headers={"Content-Type": "multipart/form-data"})
    data, hd = multipart("photo", "a", b"abc")
    expect_error(s.base + "/m/lookup", 400, "missing_file", data.replace(b"filename=\"a\"", b"").replace(
        b"name=\"photo\"", b"name=\"note\""), headers=hd)
    b = "----twofiles"
    two = (f"--{b}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a\"\r\n\r\nabc\r\n"
           f"--{b}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"b\"\r\n\r\ndef\r\n"
           f"--{b}--\r\n").encode()
    expect_error(s.base + "/m/lookup", 400, "too_many_files", two,
                 headers={"Content-Type": "multipart/form-data; boundary=" + b})

def refresh_during_traffic(s, db, tmp, pdq, files, lines):
    h5 = pdq[files[5]]
    h0 = pdq[files[0]]
    stop = threading.Event()
    results = []

    def traffic():
        while not stop.is_set():
            st, j = jreq(f"{s.base}/v1/lookup?pdq={h0},{h5}")
            results.append((st, j and [x["match"] for x in j["results"]]))

    threads = [threading.Thread(target=traffic) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    gen0 = jreq(s.base + "/readyz", token=None)[1]["list_generation"]
    with open(os.path.join(tmp, "live.pdq"), "w") as f:
        f.write(lines[5] + "\n")
    pm("db", "import", "--db", db, "--list", "live", os.path.join(tmp, "live.pdq"))
    time.sleep(0.2)
    s.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 20
    seen = False
    while time.time() < deadline and not seen:
        time.sleep(0.1)
        seen = any(r[1] == [True, True] for r in results[-20:])
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGHUP)  # a second refresh with nothing new
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    check(seen, "the live addition became visible after SIGHUP")
    check(len(results) > 20 and all(r[0] == 200 for r in results), f"failed requests during refresh: "
          f"{[r for r in results if r[0] != 200][:5]} of {len(results)}")
    check(all(r[1] in ([True, False], [True, True]) for r in results), "results before/after the swap only")
    j = jreq(s.base + "/readyz", token=None)[1]
    check(j["list_generation"] > gen0 and j["index_hashes"] == 6, f"generation {gen0} -> {j}")
    text = req(s.base + "/metrics")[2].decode()
    check("pmatch_refresh_swaps_total 1" in text and "pmatch_refreshes_total 2" in text, "refresh metrics")
    check('pmatch_matches_total{list="live"}' in text, "matches by list")
    check('pmatch_http_requests_total{route="/v1/lookup",status="200"}' in text, "request metrics")


def wait_until(fn, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.1)
    fail("timed out waiting for " + what)
    return False


def admin_routes(s, tmp, var0, unrelated, pdq, files):
    """List administration through lm_db_*: HMA's curation routes and /v1/admin."""
    st, banks = jreq(s.base + "/c/banks")
    check(st == 200 and {"name": "demo", "matching_enabled_ratio": 1.0} in banks
          and {b["name"] for b in banks} >= {"demo", "other", "digests", "live"}, f"/c/banks {banks}")
    st, j = jreq(s.base + "/c/banks", json.dumps({"name": "NEW_BANK"}).encode(), token=ADMIN)
    check(st == 201 and j == {"name": "NEW_BANK", "matching_enabled_ratio": 1.0}, f"create bank {st} {j}")
    expect_error(s.base + "/c/banks", 403, "exists", json.dumps({"name": "NEW_BANK"}).encode(), token=ADMIN)
    expect_error(s.base + "/c/banks", 400, "bad_json", b'{"nom": 1}', token=ADMIN)
    st, j = jreq(s.base + "/c/bank/NEW_BANK")
    check(st == 200 and j["name"] == "NEW_BANK", "get bank")
    expect_error(s.base + "/c/bank/NO_SUCH", 404, "not_found")
    # a hash added to a bank is found after the refresh the write triggers
    newhash = format(int(pdq[files[0]], 16) ^ ((1 << 200) - 1), "064x")
    st, j = jreq(s.base + "/c/bank/NEW_BANK/signal", json.dumps({"pdq": newhash}).encode(), token=ADMIN)
    check(st == 200 and j["signals"] == {"pdq": newhash} and j["id"] > 0, f"add signal {j}")
    sig_id = j.get("id")
    wait_until(lambda: "NEW_BANK" in jreq(f"{s.base}/m/lookup?signal_type=pdq&signal={newhash}")[1],
               "the added signal to match")
    expect_error(s.base + "/c/bank/NEW_BANK/signal", 400, "invalid_hash", b'{"pdq": "abc"}', token=ADMIN)
    expect_error(s.base + "/c/bank/NEW_BANK/signal", 400, "bad_parameter", b'{"tmk": "abc"}', token=ADMIN)
    expect_error(s.base + "/c/bank/NO_SUCH/signal", 404, "not_found", b'{"pdq": "abc"}', token=ADMIN)
    # an image added as bank content
    data, hd = multipart("photo", "u.jpg", unrelated)
    st, j = jreq(s.base + "/c/bank/NEW_BANK/content", data, token=ADMIN, headers=hd)
    check(st == 200 and len(j["signals"]["pdq"]) == 64, f"add content {st} {j}")
    content_id = j.get("id")
    wait_until(lambda: jreq(s.base + "/v1/check", unrelated)[1]["verdict"] == "match", "added image to match")
    st, j = jreq(s.base + "/v1/check", unrelated)
    check(j["matches"][0]["list"] == "NEW_BANK", "matched the new bank")
    expect_error(s.base + "/c/bank/NEW_BANK/content", 400, "not_image",
                 multipart("photo", "x", b"not an image")[0], token=ADMIN,
                 headers=multipart("photo", "x", b"not an image")[1])
    # content of another bank is neither shown nor removed through this bank's routes
    expect_error(f"{s.base}/c/bank/demo/content/{content_id}", 404, "not_found")
    st, j = jreq(f"{s.base}/c/bank/demo/content/{content_id}", method="DELETE", token=ADMIN)
    check(st == 200 and j == {"deleted": 0}, f"delete through another bank {st} {j}")
    st, j = jreq(f"{s.base}/c/bank/NEW_BANK/content/{content_id}")
    check(st == 200 and j.get("list") == "NEW_BANK", f"content still there {st} {j}")
    # removal takes effect at once
    st, j = jreq(f"{s.base}/c/bank/NEW_BANK/content/{content_id}", method="DELETE", token=ADMIN)
    check(st == 200 and j == {"deleted": 1}, f"delete content {j}")
    check(jreq(s.base + "/v1/check", unrelated)[1]["verdict"] == "no_match", "removed entry no longer matches")
    # disabling a bank takes effect at once
    st, j = jreq(s.base + "/c/bank/demo", b'{"enabled": false}', method="PUT", token=ADMIN)
    check(st == 200 and j["matching_enabled_ratio"] == 0.0, f"disable bank {st} {j}")
    check(jreq(s.base + "/v1/check", var0)[1]["verdict"] == "no_match", "disabled bank does not match")
    st, j = jreq(s.base + "/c/bank/demo", b'{"enabled_ratio": 1.0}', method="PUT", token=ADMIN)
    check(st == 200 and jreq(s.base + "/v1/check", var0)[1]["verdict"] == "match", "re-enabled bank")
    expect_error(s.base + "/c/bank/demo", 400, "bad_parameter", b'{"name": "renamed"}', method="PUT", token=ADMIN)
    expect_error(s.base + "/c/bank/demo", 403, "forbidden", b'{"enabled": false}', method="PUT", token=RO)
    # native admin routes
    expect_error(s.base + "/v1/admin/lists", 403, "forbidden", token=RO)
    st, j = jreq(s.base + "/v1/admin/lists", token=ADMIN)
    names = {l["name"]: l for l in j["lists"]}
    check(st == 200 and names["demo"]["entries"] == 4 and names["demo"]["enabled"], f"admin lists {j}")
    st, j = jreq(s.base + "/v1/admin/stats", token=ADMIN)
    check(st == 200 and j["by_type"]["pdq"] >= 7 and j["by_type"]["md5"] == 1, f"admin stats {j}")
    body = "\n".join(format(i * 7919 + 1, "064x") for i in range(20)).encode() + b"\n"
    st, j = jreq(s.base + "/v1/admin/lists/imported/import?format=hex&source=test&version=v1", body, token=ADMIN)
    check(st == 200 and j["added"] == 20 and j["format"] == "hex", f"admin import {j}")
    j = expect_error(s.base + "/v1/admin/lists/imported/import?format=hex", 400, "import_failed", b"nothex\n",
                     token=ADMIN)
    check(j.get("bad_lines") == 1, "import failure counts bad lines")
    st, j = jreq(s.base + "/v1/admin/lists/imported/import?format=hex&skip_bad=1", b"nothex\n" + body[:65],
                 token=ADMIN)
    check(st == 200 and j["bad"] == 1 and j["duplicates"] == 1, f"skip_bad import {j}")
    expect_error(s.base + "/v1/admin/lists/imported/import?format=nope", 400, "bad_parameter", body, token=ADMIN)
    st, j = jreq(s.base + "/v1/admin/lists/imported/hashes", json.dumps({"hashes": [
        {"hash": "ab" * 16, "type": "md5", "label": "L", "reference": "R"}]}).encode(), token=ADMIN)
    eid = j["entries"][0]["entry_id"]
    check(st == 200 and not j["entries"][0]["existed"], f"admin add hashes {j}")
    st, j = jreq(f"{s.base}/v1/admin/entries/{eid}", token=ADMIN)
    check(st == 200 and j["label"] == "L" and j["list"] == "imported" and j["type"] == "md5", f"admin entry {j}")
    st, j = jreq(s.base + "/v1/admin/entries/disable", json.dumps({"ids": [eid]}).encode(), token=ADMIN)
    check(st == 200 and j["changed"] == 1, f"disable {j}")
    check(not jreq(f"{s.base}/v1/lookup?md5={'ab' * 16}")[1]["results"][0]["match"], "disabled entry")
    st, j = jreq(s.base + "/v1/admin/entries/enable", json.dumps({"ids": [eid]}).encode(), token=ADMIN)
    wait_until(lambda: jreq(f"{s.base}/v1/lookup?md5={'ab' * 16}")[1]["results"][0]["match"], "enabled entry")
    st, j = jreq(f"{s.base}/v1/admin/entries/{eid}", method="DELETE", token=ADMIN)
    check(st == 200 and j["removed"], "admin remove")
    expect_error(f"{s.base}/v1/admin/entries/{eid}", 404, "not_found", method="DELETE", token=ADMIN)
    expect_error(f"{s.base}/v1/admin/entries/abc", 400, "bad_parameter", token=ADMIN)
    expect_error(s.base + "/v1/admin/entries/disable", 404, "not_found", b'{"ids": [999999]}', token=ADMIN)
    st, j = jreq(s.base + "/v1/admin/lists/imported", b'{"distance": 5, "kind": "normal"}', method="PUT", token=ADMIN)
    check(st == 200, f"admin list attrs {st} {j}")
    st, j = jreq(s.base + "/v1/admin/lists", token=ADMIN)
    check({l["name"]: l for l in j["lists"]}["imported"]["distance"] == 5, "distance set")
    expect_error(s.base + "/v1/admin/lists/imported", 400, "bad_json", b'{"kind": "odd"}', method="PUT", token=ADMIN)
    expect_error(s.base + "/v1/admin/lists/nope", 404, "not_found", b'{"enabled": true}', method="PUT", token=ADMIN)
    st, j = jreq(s.base + "/v1/admin/refresh", b"", method="POST", token=ADMIN)
    check(st == 202, "admin refresh")
    expect_error(s.base + "/v1/admin/nothing", 404, "not_found", token=ADMIN)
    expect_error(f"{s.base}/c/bank/NEW_BANK/content/{sig_id}", 403, "forbidden", method="DELETE", token=RO)
    bank_pages_and_delete(s, tmp)


def bank_pages_and_delete(s, tmp):
    """GET /c/bank/NAME/content pages (page_size, page_token -> next_page_token) and DELETE
    /c/bank/NAME, natively GET /v1/admin/lists/NAME/entries and DELETE /v1/admin/lists/NAME:
    every status."""
    hashes = [format((i + 1) * 0x9E3779B97F4A7C15 % (1 << 256) | (1 << 255), "064x") for i in range(23)]
    body = ("\n".join(hashes) + "\n").encode()
    st, j = jreq(s.base + "/v1/admin/lists/PAGED/import?format=hex", body, token=ADMIN)
    check(st == 200 and j.get("added") == 23, f"import PAGED {st} {j}")
    got, token, pages = [], None, 0
    while pages < 10:
        url = s.base + "/c/bank/PAGED/content?page_size=10" + (f"&page_token={token}" if token else "")
        st, j = jreq(url)  # a read: the match token is enough
        check(st == 200 and j["page_size"] == 10 and len(j["bank_contents"]) <= 10, f"page {st} {j}")
        got += j["bank_contents"]
        pages += 1
        token = j["next_page_token"]
        if token is None:
            break
        check(isinstance(token, str), f"next_page_token is a string: {token!r}")
    check(pages == 3 and [c["signals"]["pdq"] for c in got] == hashes, f"3 pages, every hash in order: {pages}")
    check(all(isinstance(c["id"], int) for c in got) and len({c["id"] for c in got}) == 23, "content ids")
    st, j = jreq(s.base + "/c/bank/PAGED/content")
    check(st == 200 and len(j["bank_contents"]) == 23 and j["next_page_token"] is None and j["page_size"] == 100,
          f"default page size {j and j.get('page_size')}")
    expect_error(s.base + "/c/bank/PAGED/content?page_size=0", 400, "bad_parameter")
    expect_error(s.base + "/c/bank/PAGED/content?page_size=1001", 400, "bad_parameter")
    expect_error(s.base + "/c/bank/PAGED/content?page_size=ten", 400, "bad_parameter")
    expect_error(s.base + "/c/bank/PAGED/content?page_token=xyz", 400, "bad_parameter")
    expect_error(s.base + "/c/bank/NO_SUCH/content", 404, "not_found")
    expect_error(s.base + "/c/bank/PAGED/content", 401, "missing_token", token=None)
    expect_error(s.base + "/c/bank/PAGED/content", 401, "invalid_token", token="x" * 20)
    st, j = jreq(s.base + "/v1/admin/lists/PAGED/entries?page_size=20", token=ADMIN)
    check(st == 200 and len(j["entries"]) == 20 and j["next_page_token"], f"native page {st} {j}")
    expect_error(s.base + "/v1/admin/lists/PAGED/entries", 403, "forbidden", token=RO)
    # DELETE a bank: admin only; it stops matching at once; then it is gone
    wait_until(lambda: "PAGED" in jreq(f"{s.base}/m/lookup?signal_type=pdq&signal={hashes[0]}")[1],
               "the imported bank to match (after the refresh the import triggers)")
    expect_error(s.base + "/c/bank/PAGED", 401, "missing_token", method="DELETE", token=None)
    expect_error(s.base + "/c/bank/PAGED", 403, "forbidden", method="DELETE", token=RO)
    st, j = jreq(s.base + "/c/bank/PAGED", method="DELETE", token=ADMIN)
    check(st == 200 and j == {"message": "Done", "deleted": 23}, f"delete bank {st} {j}")
    st, j = jreq(f"{s.base}/m/lookup?signal_type=pdq&signal={hashes[0]}")
    check(st == 200 and j == {}, f"a deleted bank matches no more: {j}")
    expect_error(s.base + "/c/bank/PAGED", 404, "not_found")
    expect_error(s.base + "/c/bank/PAGED", 404, "not_found", method="DELETE", token=ADMIN)
    expect_error(s.base + "/c/bank/PAGED/content", 404, "not_found")
    st, banks = jreq(s.base + "/c/banks")
    check("PAGED" not in {b["name"] for b in banks}, "deleted bank not listed")
    # natively
    jreq(s.base + "/v1/admin/lists/GONE/import?format=hex", body[:65], token=ADMIN)
    expect_error(s.base + "/v1/admin/lists/GONE", 403, "forbidden", method="DELETE", token=RO)
    st, j = jreq(s.base + "/v1/admin/lists/GONE", method="DELETE", token=ADMIN)
    check(st == 200 and j.get("entries_removed") == 1, f"native delete {st} {j}")
    expect_error(s.base + "/v1/admin/lists/GONE", 404, "not_found", method="DELETE", token=ADMIN)


def slow_send(port, head, body_bytes, interval, results, key):
    """A client sending its body one byte per interval; records the reply."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
        c.sendall(head)
        for i in range(len(body_bytes)):
            c.sendall(body_bytes[i:i + 1])
            time.sleep(interval)
        data = b""
        c.settimeout(30)
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b"}" in data:
                break
        results[key] = data
    except OSError as e:
        results[key] = repr(e).encode()


def limits_server(tmp, db, var0):
    """One worker, one request at a time, a 2 s request limit: a slow client is cut off with
    408, a second request meanwhile gets 503 too_busy, and SIGTERM lets the in-flight
    request finish."""
    s = Server(tmp, db, "b", "--max-concurrent", "1", "--request-timeout", "2", "--idle-timeout", "5",
               "--workers", "1", "--grace", "20")
    try:
        t0 = time.time()
        c = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        c.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc")
        time.sleep(0.3)
        # the slow request holds the only slot
        st, j = jreq(s.base + "/v1/lookup?pdq=" + "0" * 64, token=None)
        check(st == 503 and j["error"] == "too_busy", f"busy {st} {j}")
        st, hd, _ = req(s.base + "/v1/lookup?pdq=" + "0" * 64)
        check(st == 503 and hd.get("Retry-After") == "1", "Retry-After on 503")
        st, j = jreq(s.base + "/healthz", token=None)
        check(st == 200, "probes are never refused for load")
        closed = False
        try:
            for _ in range(80):
                c.sendall(b"x")
                r, _, _ = select.select([c], [], [], 0.1)
                if r:
                    closed = True  # a reply or EOF: the server ended the request
                    break
        except OSError:
            closed = True
        c.close()
        check(closed and time.time() - t0 < 8, f"slow client cut off after {time.time() - t0:.1f}s")
        time.sleep(0.3)
        check(any(l.get("status") == 408 for l in s.logs() if l.get("event") == "request"), "408 logged")
        st, j = jreq(s.base + "/v1/lookup?pdq=" + "0" * 64, token=None)
        check(st == 200, f"slot free after the slow client: {st}")
        # graceful SIGTERM: a request in flight (slowly uploaded) still gets its reply
        res = {}
        head = (f"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: {len(var0)}\r\n"
                "Connection: close\r\n\r\n").encode()
        t = threading.Thread(target=slow_send, args=(s.port, head + var0[:-8], var0[-8:], 0.1, res, "r"))
        t.start()
        time.sleep(0.3)
        s.proc.send_signal(signal.SIGTERM)
        t.join(timeout=30)
        reply = res.get("r", b"")
        check(reply.startswith(b"HTTP/1.1 200") and b'"verdict":"match"' in reply,
              f"in-flight request finished after SIGTERM: {reply[:200]!r}")
        rc = s.proc.wait(timeout=30)
        check(rc == 0, f"exit status after SIGTERM {rc}")
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
            fail("still accepting after shutdown")
        except OSError:
            pass
    finally:
        s.stop()


def open_server(tmp, db, var0):
    """Without --tokens: match routes need no token, admin routes are refused."""
    s = Server(tmp, db, "c", "--workers", "1")
    try:
        st, j = jreq(s.base + "/v1/check", var0, token=None)
        check(st == 200 and j["verdict"] == "match", "open server matches without a token")
        expect_error(s.base + "/c/banks", 403, "admin_disabled", b"{}", token=None)
        expect_error(s.base + "/c/bank/demo", 403, "admin_disabled", method="DELETE", token=None)
        st, j = jreq(s.base + "/c/bank/demo/content?page_size=2", token=None)
        check(st == 200 and len(j["bank_contents"]) == 2, f"pages readable without tokens {st} {j}")
        st, j = jreq(s.base + "/c/banks", token=None)
        check(st == 200 and any(b["name"] == "demo" for b in j), "banks readable without tokens")
    finally:
        check(s.stop() == 0, "open server exit status")
    # bad options and a missing list fail at start with status 2
    p = subprocess.run([PMATCH, "serve", "--db", os.path.join(tmp, "missing"), "--port", "0"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "missing" in p.stderr, f"missing list: {p.returncode} {p.stderr}")
    p = subprocess.run([PMATCH, "serve", "--db", db, "--port", "70000"], capture_output=True, timeout=30)
    check(p.returncode == 2, "bad port refused")
    bad = os.path.join(tmp, "badtokens")
    open(bad, "w").write("root short\n")
    p = subprocess.run([PMATCH, "serve", "--db", db, "--tokens", bad], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "badtokens:1" in p.stderr, f"bad token file: {p.stderr}")
    p = subprocess.run([PMATCH, "serve", "--db", db, "--listen", "localhost"], capture_output=True, timeout=30)
    check(p.returncode == 2, "--listen needs an address")


if __name__ == "__main__":
    main()
