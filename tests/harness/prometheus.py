"""Debian's Prometheus server on 127.0.0.1, scraping the portal's status
page: its own configuration, its own storage in the test's directory, a
free port.  Ready once /-/ready answers 200; tests read what it scraped
through its HTTP API (/api/v1/targets, /api/v1/query).

    prom = Prometheus(workdir, targets=["127.0.0.1:8080"],
                      metrics_path="/scep-status").start()
    prom.wait_target_up()
    prom.wait_value('scep_logins_total{result="issued"}', 1)
"""

import json
import os
import urllib.parse
import urllib.request

from . import procs
from .ports import HOST, free_port

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"

# Scrape often: a test waits for a few scrapes, never for a minute.
SCRAPE_INTERVAL = "1s"

CONFIG = """\
# prometheus.yml written by tests/harness/prometheus.py
global:
  scrape_interval: {interval}
  scrape_timeout: {interval}
  evaluation_interval: {interval}

scrape_configs:
  - job_name: scep
    metrics_path: {path}
    static_configs:
      - targets: [{targets}]
"""


class Prometheus(procs.Service):
    """One Prometheus server; see the module docstring."""

    name = "prometheus"
    what = "/-/ready"

    def __init__(self, workdir, targets, metrics_path="/metrics"):
        super().__init__()
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.config_path = os.path.join(self.dir, "prometheus.yml")
        with open(self.config_path, "w") as f:
            f.write(CONFIG.format(
                interval=SCRAPE_INTERVAL, path=json.dumps(metrics_path),
                targets=", ".join(json.dumps(t) for t in targets)))

    def _argv(self):
        return [PROMETHEUS, f"--config.file={self.config_path}",
                f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
                f"--web.listen-address={HOST}:{self.port}",
                # no console templates in a test: the defaults name
                # /etc/prometheus files a fresh install may lack
                f"--web.console.templates={self.dir}",
                f"--web.console.libraries={self.dir}"]

    def _answers(self):
        try:
            with urllib.request.urlopen(self.url + "/-/ready",
                                        timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    # -- the HTTP API ------------------------------------------------------

    def api(self, path, **params):
        """GET /api/v1/<path>: the "data" of a successful answer."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as resp:
            answer = json.load(resp)
        assert answer["status"] == "success", answer
        return answer["data"]

    def targets(self):
        """The active targets, as /api/v1/targets lists them."""
        return self.api("targets")["activeTargets"]

    def query(self, expr):
        """An instant query: {labels as a tuple of pairs: float value}."""
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", data
        return {tuple(sorted((k, v) for k, v in r["metric"].items()
                             if k not in ("__name__", "job", "instance"))):
                float(r["value"][1])
                for r in data["result"]}

    def value(self, expr):
        """The one value an instant query gives, or None when it gives
        none."""
        found = self.query(expr)
        assert len(found) <= 1, found
        return next(iter(found.values())) if found else None

    def wait_target_up(self, timeout=30.0):
        """Waits until every target was scraped and is up; returns them."""
        seen = []

        def up():
            seen[:] = self.targets()
            return seen and all(t["health"] == "up" for t in seen)

        try:
            procs.wait_until(up, timeout, "targets up", interval=0.2,
                             alive=self.proc.running)
        except procs.StartError as e:
            raise AssertionError(f"{e}: {seen}") from None
        return seen

    def wait_value(self, expr, want, timeout=30.0):
        """Waits until the query gives the value want (a later scrape
        brings what the test just caused)."""
        last = []

        def equal():
            last[:] = [self.value(expr)]
            return last[0] == want

        try:
            procs.wait_until(equal, timeout, f"{expr} == {want}",
                             interval=0.2, alive=self.proc.running)
        except procs.StartError as e:
            raise AssertionError(f"{e}: last {last}") from None
