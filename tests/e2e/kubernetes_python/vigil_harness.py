"""A live vigil agent probing real loopback targets, for end-to-end tests
that drive the real Kubernetes clients against its Kubernetes API view:
the real kubectl (Google's /usr/bin/kubectl dispatcher and every kubectl.1.N
beside it) and the official Python client (Debian's python3-kubernetes).

`Replicas` are HTTP servers on several loopback addresses sharing one port,
each answering GET /ready with 200 or 503 as the test sets it. `Agent` writes
a config, starts the vigil binary ($VIGIL_BINARY) on an ephemeral port, and
stops it (SIGTERM, then SIGKILL) when the test is done. `World` is the usual
setup: three services in namespace `default` on node `node-a`:

    alpaca-prod     app=alpaca,env=prod,ver=1     5 replicas 127.0.0.11-15, port http
    bandicoot-prod  app=bandicoot,env=prod,ver=2  2 replicas 127.0.0.21-22, port http
    cache-staging   app=cache,env=staging         1 endpoint 127.0.0.31:1, no probe

Nothing here waits by sleeping: every wait polls a condition with a deadline.
"""

import ctypes
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import warnings

# The Python client leaves its pooled connections to the garbage collector.
warnings.simplefilter("ignore", ResourceWarning)

VIGIL = os.environ.get("VIGIL_BINARY", "")
KUBECTL = "/usr/bin/kubectl"
KUBECTL_VERSIONS_DIR = "/usr/lib/google-cloud-sdk/bin"

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
PROTOBUF_THEN_JSON = "application/vnd.kubernetes.protobuf,application/json"

NODE = "node-a"
ALPACA = ["127.0.0.11", "127.0.0.12", "127.0.0.13", "127.0.0.14", "127.0.0.15"]
BANDICOOT = ["127.0.0.21", "127.0.0.22"]
CACHE_ENDPOINT = "127.0.0.31:1"


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _tie_to_parent():
    """In the child before exec: SIGKILL when the test process dies, so that a
    test killed by its timeout leaves no agent or kubectl behind."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Fatal(AssertionError):
    """Raised by a condition that can never hold (the agent exited): ends the
    wait at once."""


def wait_until(condition, timeout=10.0, message="condition"):
    """Polls `condition` every 20 ms until it returns a true value, which is
    returned; raises AssertionError naming `message` after `timeout` s, or
    at once when the condition raises Fatal."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Fatal:
            raise
        except Exception as e:  # the condition may fail while things settle
            last_error = e
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s%s" %
                                 (timeout, message,
                                  " (last error: %r)" % last_error if last_error else ""))
        time.sleep(0.02)


def require_kubectl():
    """The path of the kubectl dispatcher; fails the test clearly without it."""
    if not (os.path.isfile(KUBECTL) and os.access(KUBECTL, os.X_OK)):
        raise AssertionError(
            "kubectl is missing: these tests need the real kubectl at %s (the machine "
            "image's Google kubectl dispatcher with kubectl.1.N beside it in %s)" %
            (KUBECTL, KUBECTL_VERSIONS_DIR))
    return KUBECTL


def kubectl_versions():
    """Every kubectl.1.N installed beside the dispatcher, oldest first."""
    found = []
    if os.path.isdir(KUBECTL_VERSIONS_DIR):
        for name in os.listdir(KUBECTL_VERSIONS_DIR):
            parts = name.split(".")
            if len(parts) == 3 and parts[0] == "kubectl" and parts[1] == "1" and parts[2].isdigit():
                found.append((int(parts[2]), os.path.join(KUBECTL_VERSIONS_DIR, name)))
    return [path for _, path in sorted(found)]


def require_python_client():
    try:
        import kubernetes  # noqa: F401
    except ImportError as e:
        raise AssertionError("the Kubernetes Python client is missing (%s): install Debian's "
                             "python3-kubernetes (scripts/install-deps.sh does)" % e)


class _ReadyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        status = 200 if self.server.ready else 503
        body = b"ok\n" if status == 200 else b"not ready\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address):
        self.ready = True
        super().__init__(address, _ReadyHandler)

    def handle_error(self, request, client_address):
        pass  # the prober closes its connections with a reset (README)


class Replicas:
    """HTTP targets on `addresses`, all on one port; each answers GET with 200
    while ready, 503 while not. Thread-safe enough for tests (a bool flip)."""

    def __init__(self, addresses, port=None):
        for _ in range(50):
            self.servers = {}
            try:
                first = _Server((addresses[0], port or 0))
                self.servers[addresses[0]] = first
                self.port = first.server_address[1]
                for address in addresses[1:]:
                    self.servers[address] = _Server((address, self.port))
                break
            except OSError:
                for server in self.servers.values():
                    server.server_close()
                if port:
                    raise
        else:
            raise RuntimeError("cannot find one port free on all of %s" % addresses)
        self.threads = []
        for server in self.servers.values():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      daemon=True)
            thread.start()
            self.threads.append(thread)

    def set_ready(self, address, ready):
        self.servers[address].ready = ready

    def close(self):
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


class Agent:
    """The vigil binary running `config` (YAML text) in a temporary directory."""

    def __init__(self, config, directory, node=NODE):
        if not VIGIL or not os.access(VIGIL, os.X_OK):
            raise AssertionError("VIGIL_BINARY must name the built vigil binary (got %r)" % VIGIL)
        self.directory = directory
        self.config_path = os.path.join(directory, "vigil.yaml")
        with open(self.config_path, "w") as f:
            f.write(config)
        self.log_path = os.path.join(directory, "agent.log")
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [VIGIL, "agent", "--config", self.config_path, "--node", node],
            stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
            preexec_fn=_tie_to_parent)
        port = wait_until(self._port, 20, "the agent to serve its API")
        self.url = "http://127.0.0.1:%d" % port
        self.port = port

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def _port(self):
        if self.process.poll() is not None:
            raise Fatal("the agent exited with %s:\n%s" % (self.process.returncode, self.log()))
        marker = "serving the API on http://127.0.0.1:"
        log = self.log()
        at = log.find(marker)
        if at < 0:
            return None
        digits = ""
        for c in log[at + len(marker):]:
            if not c.isdigit():
                break
            digits += c
        return int(digits) if digits else None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        return self.process.returncode


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower(), "")


def request(url, method, path, accept=None, headers=None, body=None, timeout=10):
    """One HTTP request to the agent at `url`; the whole answer."""
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        if accept is not None:
            all_headers["Accept"] = accept
        connection.request(method, path, body=body, headers=all_headers)
        answer = connection.getresponse()
        data = answer.read()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()},
                        data.decode("utf-8", "replace"))
    finally:
        connection.close()


class WatchStream:
    """A raw watch: a GET read line by line on a thread, each line kept with
    the time it came; `ended` is set when the server ends the answer."""

    def __init__(self, url, path, accept="application/json", timeout=60):
        parsed = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
        self.started = time.monotonic()
        self.connection.request("GET", path, headers={"Accept": accept})
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = {k.lower(): v for k, v in self.response.getheaders()}
        self.lines = []  # (monotonic time, decoded JSON or the raw line)
        self.ended = threading.Event()
        self.ended_at = None
        self.error = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            while True:
                line = self.response.readline()
                if not line:
                    break
                text = line.decode("utf-8", "replace").strip()
                if not text:
                    continue
                try:
                    item = json.loads(text)
                except ValueError:
                    item = text
                with self.lock:
                    self.lines.append((time.monotonic(), item))
        except Exception as e:  # noqa: BLE001 (kept for the test to see)
            self.error = e
        finally:
            self.ended_at = time.monotonic()
            self.ended.set()

    def events(self):
        with self.lock:
            return [item for _, item in self.lines]

    def timed_events(self):
        with self.lock:
            return list(self.lines)

    def close(self):
        try:
            self.connection.sock and self.connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()
        self.thread.join(5)


def world_config(port, extra_services="", top=""):
    ip_list = ", ".join(ALPACA)
    return """node: %(node)s
listen: 127.0.0.1:0
%(top)sservices:
  - name: alpaca-prod
    labels: {app: alpaca, env: prod, ver: "1"}
    ports: [{name: http, port: %(port)d}]
    endpoints: [%(alpaca)s]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      timeoutSeconds: 1
      failureThreshold: 1
  - name: bandicoot-prod
    labels: {app: bandicoot, env: prod, ver: "2"}
    ports: [{name: http, port: %(port)d}]
    endpoints: [%(bandicoot)s]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 0.1
      timeoutSeconds: 1
      failureThreshold: 1
  - name: cache-staging
    labels: {app: cache, env: staging}
    endpoints: [%(cache)s]
%(extra)s""" % {"node": NODE, "port": port, "alpaca": ip_list, "bandicoot": ", ".join(BANDICOOT),
                "cache": CACHE_ENDPOINT, "extra": extra_services, "top": top}


class World:
    """The three services of the module docstring, every replica ready."""

    def __init__(self, extra_services="", top="", namespace="default"):
        self.namespace = namespace  # the three services'
        self.directory = tempfile.mkdtemp(prefix="vigil-kube-")
        self.replicas = Replicas(ALPACA + BANDICOOT)
        self.port = self.replicas.port
        try:
            self.agent = Agent(world_config(self.port, extra_services, top), self.directory)
            self.url = self.agent.url
            wait_until(self._all_ready_logged, 20, "every replica to be logged ready")
            # The board commits a transition a few milliseconds after the log
            # line; the API is the truth.
            wait_until(lambda: self.ready_of("alpaca-prod") == set(ALPACA) and
                       self.ready_of("bandicoot-prod") == set(BANDICOOT), 10,
                       "every replica ready in the Kubernetes API's Endpoints")
        except BaseException:
            try:
                self.close()
            except AssertionError:
                pass  # the first failure is the one to report
            raise
        self.kubectl_dirs = {}

    def restart_agent(self):
        """Stops the agent (SIGTERM) and starts it again on the same config;
        a new API port. Waits until every replica is ready again."""
        code = self.agent.stop()
        if code != 0:
            raise AssertionError("the agent exited %s on SIGTERM:\n%s" % (code,
                                                                        self.agent.log()[-4000:]))
        os.rename(self.agent.log_path, self.agent.log_path + ".%d" % time.monotonic_ns())
        with open(self.agent.config_path) as f:
            config = f.read()
        self.agent = Agent(config, self.directory)
        self.url = self.agent.url
        wait_until(self._all_ready_logged, 20, "every replica to be logged ready")
        wait_until(lambda: self.ready_of("alpaca-prod") == set(ALPACA), 10,
                   "every replica ready after the restart")

    def _all_ready_logged(self):
        log = self.agent.log()
        return all("%s %s:%d ready" % (service, ip, self.port) in log
                   for service, ips in (("alpaca-prod", ALPACA), ("bandicoot-prod", BANDICOOT))
                   for ip in ips)

    def endpoint(self, ip):
        return "%s:%d" % (ip, self.port)

    # --- the Kubernetes API, read raw -----------------------------------------

    def get(self, path, accept="application/json", **kw):
        return request(self.url, "GET", path, accept=accept, **kw)

    def get_json(self, path, accept="application/json"):
        answer = self.get(path, accept)
        if answer.status != 200:
            raise AssertionError("GET %s: %d %s" % (path, answer.status, answer.body[:500]))
        return answer.json()

    def endpoints(self, name, namespace=None):
        return self.get_json("/api/v1/namespaces/%s/endpoints/%s" %
                             (namespace or self.namespace, name))

    def addresses_of(self, name, key):
        obj = self.endpoints(name)
        return {a["ip"] for s in obj.get("subsets", []) for a in s.get(key, [])}

    def ready_of(self, name):
        return self.addresses_of(name, "addresses")

    def not_ready_of(self, name):
        return self.addresses_of(name, "notReadyAddresses")

    def set_ready(self, ip, ready, service="alpaca-prod", wait=True):
        """Flips the replica at `ip` and waits until the API's Endpoints show it."""
        self.replicas.set_ready(ip, ready)
        if wait:
            key = "addresses" if ready else "notReadyAddresses"
            wait_until(lambda: ip in self.addresses_of(service, key), 10,
                       "%s in %s's %s" % (ip, service, key))

    def events(self, field_selector=None):
        path = "/api/v1/namespaces/default/events"
        if field_selector:
            path += "?fieldSelector=" + urllib.parse.quote(field_selector)
        return self.get_json(path)["items"]

    def unhealthy_message(self, ip, code=503):
        return "%s: Readiness probe failed: HTTP probe failed with statuscode: %d" % (
            self.endpoint(ip), code)

    def wait_event(self, reason, message, timeout=10):
        def found():
            for e in self.events():
                if e.get("reason") == reason and e.get("message") == message:
                    return e
            return None
        return wait_until(found, timeout, "a %s event %r" % (reason, message))

    # --- kubectl --------------------------------------------------------------

    def kubectl_args(self, binary):
        if binary not in self.kubectl_dirs:
            d = tempfile.mkdtemp(prefix="kubectl-", dir=self.directory)
            kubeconfig = os.path.join(d, "kubeconfig")
            with open(kubeconfig, "w") as f:
                f.write("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
                        "preferences: {}\n")
            self.kubectl_dirs[binary] = (d, kubeconfig)
        d, kubeconfig = self.kubectl_dirs[binary]
        return [binary, "--kubeconfig", kubeconfig, "--server", self.url,
                "--cache-dir", os.path.join(d, "cache")]

    def kubectl_env(self, binary):
        d, _ = self.kubectl_dirs[binary]
        env = dict(os.environ)
        env["HOME"] = d
        env.pop("KUBECONFIG", None)
        return env

    def kubectl(self, *args, binary=None, timeout=30):
        """Runs kubectl to its end; a CompletedProcess with text output."""
        binary = binary or require_kubectl()
        argv = self.kubectl_args(binary) + list(args)
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, env=self.kubectl_env(binary))

    def kubectl_ok(self, *args, binary=None):
        done = self.kubectl(*args, binary=binary)
        if done.returncode != 0:
            raise AssertionError("kubectl %s exited %d:\nstdout: %s\nstderr: %s" %
                                 (" ".join(args), done.returncode, done.stdout, done.stderr))
        return done.stdout

    def kubectl_background(self, *args, binary=None):
        """Starts kubectl (a watch); its output goes to files read by `Background`."""
        binary = binary or require_kubectl()
        return Background(self.kubectl_args(binary) + list(args), self.directory,
                          self.kubectl_env(binary))

    def close(self):
        """Stops everything; raises when the agent did not exit 0 on SIGTERM
        (a sanitizer report, a crash), with the end of its log."""
        code, log = 0, ""
        if getattr(self, "agent", None):
            code = self.agent.stop()
            log = self.agent.log()
        self.replicas.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        if code != 0:
            raise AssertionError("the agent exited %s on SIGTERM:\n%s" % (code, log[-4000:]))


class Background:
    """A process whose stdout and stderr go to files, read while it runs."""

    def __init__(self, argv, directory, env=None):
        fd, self.out_path = tempfile.mkstemp(prefix="out-", dir=directory)
        os.close(fd)
        fd, self.err_path = tempfile.mkstemp(prefix="err-", dir=directory)
        os.close(fd)
        self.out_file = open(self.out_path, "wb")
        self.err_file = open(self.err_path, "wb")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out_file,
                                        stderr=self.err_file, env=env,
                                        preexec_fn=_tie_to_parent)

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_output(self, predicate, timeout=10, message="output"):
        def check():
            if predicate(self.stdout()):
                return True
            if self.process.poll() is not None and not predicate(self.stdout()):
                raise AssertionError("exited %d before %s:\nstdout: %s\nstderr: %s" %
                                     (self.process.returncode, message, self.stdout(),
                                      self.stderr()))
            return False
        try:
            wait_until(check, timeout, message)
        except AssertionError as e:
            raise AssertionError("%s\nstdout: %s\nstderr: %s" % (e, self.stdout(), self.stderr()))

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.out_file.close()
        self.err_file.close()


class WorldTest(unittest.TestCase):
    """A test case with a fresh `World` per test (`self.w`)."""

    extra_services = ""
    top = ""

    def setUp(self):
        self.w = World(self.extra_services, self.top)
        self.addCleanup(self.w.close)
