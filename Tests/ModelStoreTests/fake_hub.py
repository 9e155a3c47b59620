#!/usr/bin/env python3
"""A stand-in for the Hugging Face Hub's file endpoint, for bertscope's ModelStore tests.

Serves model folders as repositories the way the Hub does:
  HEAD/GET /{repo}/resolve/{revision}/{file}
    small files: 200 with ETag "<git blob sha1>", X-Repo-Commit, Content-Length (Range honoured)
    *.safetensors (LFS): 302 to /cdn/<sha256> with X-Linked-Etag "<sha256>", X-Linked-Size, X-Repo-Commit
    unknown repository / revision / file: 404 with X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound
  GET /api/models/{repo}/revision/{revision}: the file listing, {"sha": commit, "siblings": [{"rfilename": ...}]}
    (--no-api answers it 404 without an error code, as a server that is not a Hub would)
  GET /cdn/<sha256>: the LFS bytes, 200 or 206 for "Range: bytes=N-", 416 past the end

LFS redirects may name the CDN as another host (--cdn-host localhost) while still reaching this server.
Faults for the tests: --cut closes the connection mid-body, --corrupt flips a byte, --stall stops sending
mid-body, --stall-head never answers a metadata request, --token demands a bearer token.
Hostile answers, for the tests of what pull refuses: --header replaces a header of a file's metadata answer
(ETag, X-Repo-Commit, Location ...), --length announces a Content-Length that is not the body's,
--redirect-loop sends a file's request round an endless chain of redirects (/loop/N -> /loop/N+1),
--huge-header adds a 10 MB header line, --endless sends a body without end; /redirect?to=URL redirects to
any URL.

Binds 127.0.0.1 only, on a free port it prints as "PORT <n>". Stops by itself when standard input closes
(the test that started it is gone) or after --lifetime seconds.
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_folder(folder):
    files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            if not relative.startswith("."):
                with open(path, "rb") as handle:
                    files[relative] = handle.read()
    return files


def commit_of(repo, revision, files):
    digest = hashlib.sha1(("%s@%s" % (repo, revision)).encode())
    for name in sorted(files):
        digest.update(name.encode() + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def spec(text, parts):
    """FILE:N[:M] -> (FILE, N, M); missing numbers are None."""
    pieces = text.split(":")
    numbers = [int(p) for p in pieces[1:]] + [None] * parts
    return (pieces[0],) + tuple(numbers[:parts])


class Hub:
    def __init__(self, options):
        self.options = options
        self.repos = {}  # repo -> {revision: (commit, files)}
        self.blobs = {}  # sha256 -> (file name, bytes)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.cuts = {}
        for text in options.cut:
            name, count, times = spec(text, 2)
            self.cuts[name] = [count, times if times is not None else 1]
        self.corrupt = dict(spec(text, 1) for text in options.corrupt)
        self.stall = dict(spec(text, 1) for text in options.stall)
        self.length_lies = dict(spec(text, 1) for text in options.length)
        self.header_overrides = []  # (file or "*", header, value)
        for text in options.header:
            name, header, value = text.split(":", 2)
            self.header_overrides.append((name, header, value))
        # A server that claims a commit answers for it, as a client asking for that commit next expects.
        self.claimed_commits = {value: "main" for _, header, value in self.header_overrides if header.lower() == "x-repo-commit"}
        for text in options.repo:
            repo, folder = text.split("=", 1)
            self.add(repo, "main", folder)
        for text in options.revision:
            target, folder = text.split("=", 1)
            repo, revision = target.split("@", 1)
            self.add(repo, revision, folder)

    def add(self, repo, revision, folder):
        files = read_folder(folder)
        self.repos.setdefault(repo, {})[revision] = (commit_of(repo, revision, files), files)
        for name, data in files.items():
            if self.is_lfs(name):
                self.blobs[hashlib.sha256(data).hexdigest()] = (name, data)

    @staticmethod
    def is_lfs(name):
        return name.endswith(".safetensors")

    def find(self, repo, revision):
        revisions = self.repos.get(repo)
        if revisions is None:
            return None, None
        if revision in revisions:
            return revisions[revision]
        for commit, files in revisions.values():
            if commit == revision:
                return commit, files
        return "", None

    def log(self, record):
        if not self.options.log:
            return
        with self.lock, open(self.options.log, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def hostile_headers(self, name, headers, port):
        """headers with the --header replacements for file `name` applied ({file} and {port} filled in)."""
        for target, header, value in self.header_overrides:
            if target in ("*", name):
                for key in [key for key in headers if key.lower() == header.lower()]:
                    del headers[key]
                headers[header] = value.replace("{file}", name).replace("{port}", str(port))
        return headers

    def take_cut(self, name):
        with self.lock:
            cut = self.cuts.get(name)
            if cut and cut[1] > 0:
                cut[1] -= 1
                return cut[0]
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeHub/1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.handle_request(send_body=False)

    def do_GET(self):
        self.handle_request(send_body=True)

    def handle_request(self, send_body):
        hub = self.server.hub
        url = urlsplit(self.path)
        hub.log({"method": self.command, "path": url.path, "range": self.headers.get("Range"),
                 "authorization": self.headers.get("Authorization")})
        if url.path.startswith("/loop/"):
            # Each hop names a new address, so no client can spot the loop by a repeated URL; a client that
            # never stops is stopped after 1000 hops (or by --lifetime).
            hop = int(url.path[len("/loop/"):]) + 1
            if hop > 1000:
                return self.reply(508, {}, b"loop detected")
            return self.reply(302, {"Location": "/loop/%d" % hop}, b"")
        if url.path == "/redirect":
            return self.reply(302, {"Location": parse_qs(url.query)["to"][0]}, b"")
        if url.path.startswith("/cdn/"):
            sha = url.path[len("/cdn/"):]
            blob = hub.blobs.get(sha)
            if blob is None:
                return self.reply(404, {"X-Error-Code": "EntryNotFound"}, b"blob not found")
            name = parse_qs(url.query).get("file", [blob[0]])[0]
            return self.serve(blob[1], name, {"ETag": '"%s"' % sha}, send_body)
        if url.path.startswith("/api/models/") and "/revision/" in url.path:
            return self.listing(url.path[len("/api/models/"):])
        if "/resolve/" not in url.path:
            return self.reply(404, {}, b"not found")
        repo, rest = url.path[1:].split("/resolve/", 1)
        revision, _, name = rest.partition("/")
        revision, name = unquote(revision), unquote(name)
        if hub.options.token and self.headers.get("Authorization") != "Bearer " + hub.options.token:
            return self.reply(401, {"X-Error-Code": "GatedRepo"}, b"gated")
        commit, files = hub.find(repo, hub.claimed_commits.get(revision, revision))
        if commit is None:
            return self.reply(404, {"X-Error-Code": "RepoNotFound"}, b"Repository not found")
        if files is None:
            return self.reply(404, {"X-Error-Code": "RevisionNotFound"}, b"Revision not found")
        if name not in files:
            return self.reply(404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit}, b"Entry not found")
        if self.command == "HEAD" and name in hub.options.stall_head:
            hub.stopping.wait(60)
            self.close_connection = True
            return
        if name in hub.options.redirect_loop:
            return self.reply(302, {"Location": "/loop/0", "X-Repo-Commit": commit}, b"")
        if name in hub.options.huge_header:
            return self.huge_header_reply()
        data = files[name]
        port = self.server.server_port
        if hub.is_lfs(name):
            sha = hashlib.sha256(data).hexdigest()
            location = "http://%s:%d/cdn/%s?file=%s" % (hub.options.cdn_host, port, sha, name)
            headers = {"Location": location, "X-Repo-Commit": commit, "X-Linked-Etag": '"%s"' % sha,
                       "X-Linked-Size": str(len(data)), "ETag": '"%s"' % git_blob_sha1(data)}
            return self.reply(302, hub.hostile_headers(name, headers, port), b"Found. Redirecting to " + location.encode())
        headers = {"ETag": '"%s"' % git_blob_sha1(data), "X-Repo-Commit": commit}
        return self.serve(data, name, hub.hostile_headers(name, headers, port), send_body)

    def listing(self, rest):
        hub = self.server.hub
        repo, _, revision = rest.rpartition("/revision/")
        if hub.options.no_api:
            return self.reply(404, {}, b"not found")
        if hub.options.token and self.headers.get("Authorization") != "Bearer " + hub.options.token:
            return self.reply(401, {"X-Error-Code": "GatedRepo"}, b"gated")
        commit, files = hub.find(repo, unquote(revision))
        if commit is None:
            return self.reply(404, {"X-Error-Code": "RepoNotFound"}, b"Repository not found")
        if files is None:
            return self.reply(404, {"X-Error-Code": "RevisionNotFound"}, b"Revision not found")
        body = {"id": repo, "sha": commit, "siblings": [{"rfilename": name} for name in sorted(files)]}
        return self.reply(200, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def huge_header_reply(self):
        """200 with a header line of 10 MB; the client hanging up mid-line is expected."""
        self.close_connection = True
        try:
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Padding: ")
            chunk = b"a" * 65536
            for _ in range(10 * 16):
                self.wfile.write(chunk)
            self.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def endless_body(self):
        """Body bytes until the client hangs up, the server stops, or (a bound for a client that never
        does) 30 seconds or 4 GB have gone by."""
        chunk = b"\0" * 65536
        deadline = time.time() + 30
        try:
            for _ in range(65536):
                if self.server.hub.stopping.is_set() or time.time() > deadline:
                    break
                self.wfile.write(chunk)
        except OSError:
            pass

    def reply(self, status, headers, body):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve(self, data, name, headers, send_body):
        hub = self.server.hub
        start = 0
        status = 200
        requested = self.headers.get("Range")
        if requested and requested.startswith("bytes=") and not hub.options.ignore_range:
            start = int(requested[len("bytes="):].split("-")[0])
            if start >= len(data):
                return self.reply(416, {"Content-Range": "bytes */%d" % len(data)}, b"")
            status = 206
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        body = bytearray(data[start:])
        offset = hub.corrupt.get(name)
        if offset is not None and 0 <= offset - start < len(body):
            body[offset - start] ^= 0x01
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Accept-Ranges", "bytes")
        endless = name in hub.options.endless
        if endless:
            self.close_connection = True  # no length: the body ends when the connection does, i.e. never
        else:
            self.send_header("Content-Length", str(len(body) + hub.length_lies.get(name, 0)))
        self.end_headers()
        if not send_body:
            return
        if endless:
            return self.endless_body()
        if name in hub.length_lies:
            # The true bytes, then a hang-up: a short length leaves bytes unread, a long one never comes.
            self.wfile.write(body)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        cut = hub.take_cut(name)
        stall = hub.stall.get(name)
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif stall is not None:
            self.wfile.write(body[:stall])
            self.wfile.flush()
            hub.stopping.wait(60)
            self.close_connection = True
        else:
            self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", action="append", default=[], help="REPO=FOLDER: FOLDER is REPO at main")
    parser.add_argument("--revision", action="append", default=[], help="REPO@REV=FOLDER: another branch or tag")
    parser.add_argument("--token", help="require Authorization: Bearer TOKEN")
    parser.add_argument("--cut", action="append", default=[], help="FILE:BYTES[:TIMES]: close after BYTES body bytes")
    parser.add_argument("--corrupt", action="append", default=[], help="FILE:OFFSET: flip a bit of that byte")
    parser.add_argument("--stall", action="append", default=[], help="FILE:BYTES: stop sending after BYTES body bytes")
    parser.add_argument("--stall-head", action="append", default=[], help="FILE: never answer its metadata request")
    parser.add_argument("--header", action="append", default=[],
                        help="FILE:NAME:VALUE: NAME is VALUE in FILE's metadata answers (FILE * for all; {file}, {port} filled in)")
    parser.add_argument("--length", action="append", default=[],
                        help="FILE:DELTA: announce DELTA more (or, negative, fewer) bytes than FILE's body has")
    parser.add_argument("--redirect-loop", action="append", default=[], help="FILE: redirect it round /loop/N for ever")
    parser.add_argument("--huge-header", action="append", default=[], help="FILE: answer its request with a 10 MB header line")
    parser.add_argument("--endless", action="append", default=[], help="FILE: send its body without a length and without end")
    parser.add_argument("--cdn-host", default="127.0.0.1",
                        help="host name LFS redirects use (localhost makes the CDN another host for the client)")
    parser.add_argument("--no-api", action="store_true", help="answer the file listing 404, as a plain file server")
    parser.add_argument("--ignore-range", action="store_true", help="answer Range requests with the whole file")
    parser.add_argument("--log", help="append one JSON line per request to this file")
    parser.add_argument("--lifetime", type=float, default=120, help="seconds before the server exits by itself")
    options = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.hub = Hub(options)

    def stop_when(event):
        event()
        server.hub.stopping.set()
        os._exit(0)

    threading.Thread(target=stop_when, args=(lambda: sys.stdin.read(),), daemon=True).start()
    threading.Thread(target=stop_when, args=(lambda: time.sleep(options.lifetime),), daemon=True).start()
    print("PORT %d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
