"""bench-url: pmatch scan on URLs against a local HTTP server with simulated latency.

    python3 bench/url/bench-url.py BUILD_DIR [COUNT=100] [DELAY_MS=50]

Generates COUNT benign images (lm-make-images), serves them from 127.0.0.1 with DELAY_MS
added to every response (as a remote server would), and times `pmatch scan --url-list` over
them, then over one page linking them all, with 1, 4 and 16 connections. Prints URLs/s;
never asserts speed.
"""
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time

build = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
delay = (int(sys.argv[3]) if len(sys.argv) > 3 else 50) / 1000.0
pmatch = os.path.join(build, "cli", "pmatch")
work = tempfile.mkdtemp(prefix="bench-url-")
imgs = os.path.join(work, "imgs")
subprocess.run([os.path.join(build, "tests", "tools", "lm-make-images"), imgs, str(count)],
               check=True, capture_output=True)
names = sorted(os.listdir(imgs))
blob = {n: open(os.path.join(imgs, n), "rb").read() for n in names}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        time.sleep(delay)
        name = self.path.rsplit("/", 1)[1]
        if name == "page.html":
            body = "".join(f'<img src="{n}">' for n in names).encode()
            ctype = "text/html"
        else:
            body, ctype = blob[name], "image/jpeg"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{srv.server_port}/"
ulist = os.path.join(work, "urls.txt")
with open(ulist, "w") as f:
    f.writelines(base + n + "\n" for n in names)
db = os.path.join(work, "db")
subprocess.run([pmatch, "db", "init", "--db", db], check=True, capture_output=True)
env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
mb = sum(len(b) for b in blob.values()) / 1e6
print(f"{count} images, {mb:.1f} MB, {delay * 1000:.0f} ms added per response")
for what, args in (("url list", ["--url-list", ulist]), ("one page", [base + "page.html"])):
    for conns in (1, 4, 16):
        t0 = time.monotonic()
        p = subprocess.run([pmatch, "scan", "--db", db, "--quiet", "--connections", str(conns),
                            "--allow-net", "127.0.0.0/8", *args], capture_output=True, env=env)
        dt = time.monotonic() - t0
        print(f"{what:9s} --connections {conns:2d}: {count / dt:7.1f} URLs/s "
              f"({dt:.2f} s, exit {p.returncode})")
srv.shutdown()
