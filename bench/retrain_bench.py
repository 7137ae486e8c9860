"""Retraining behind ``annotate serve``: time from the N-th annotation to the new model being served.

Usage (from the repository root, with ../shared/eval beside it)::

    .venv/bin/python bench/retrain_bench.py [--eval-dir ../shared/eval] [--untouched 4]

A real local Label Studio (as ``annotate studio up`` starts it) in a temporary folder gets the
WikiEvents dev articles as plain tasks; a real ``annotate serve --connect`` process is started with
``--retrain-every N`` (N = the articles minus ``--untouched``); N annotations (the gold) are saved
through the API, each sending its webhook. Measured from the N-th save returning:

- *served*: ``/setup`` answers a new model version (pull, ``annotate train`` with its gate, model
  loaded and swapped);
- *filled*: the training is over and the untouched tasks hold the new model's predictions
  (backend retitled in Label Studio, chunked Retrieve predictions).

Baseline in the same run: ``annotate train --from SNAPSHOT`` on the same gold, alone (a pull of
the project, then the command), so the ratio is the backend's overhead over training itself.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from annotate.labelstudio import TaskBuilder
from annotate.schema import load_schema
from annotate.studio.client import Studio
from annotate.studio.projects import ensure_project
from annotate.studio.pull import pull
from annotate.studio.server import LocalServer
from annotate.training.gold import GoldSource, load_gold

_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with _HTTP.open(request, timeout=60) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--untouched", type=int, default=4, help="articles left unannotated")
    args = parser.parse_args()
    if not (args.eval_dir / "wikievents" / "dev.jsonl").is_file():
        raise SystemExit(
            f"{args.eval_dir}/wikievents/dev.jsonl not found: give the dev corpora with --eval-dir"
        )
    schema = load_schema()
    documents = load_gold(
        [GoldSource(args.eval_dir / "wikievents" / "dev.jsonl", "wikievents")], schema
    ).documents
    every = len(documents) - args.untouched
    builder = TaskBuilder(schema)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        server = LocalServer(folder / "studio", port=_free_port())
        creds = server.start()
        port = _free_port()
        serve = None
        try:
            with Studio.connect(creds.url, creds.token) as studio:
                project_id = ensure_project(studio, "retrain-bench", schema).id
                tasks = [{"data": {"text": d.article.text, "doc_id": d.article.id}} for d in documents]
                studio.import_tasks(project_id, tasks)
                ids = {t.doc_id: t.id for t in studio.remote_tasks(project_id)}
                env = {**os.environ, "LABEL_STUDIO_URL": creds.url, "LABEL_STUDIO_API_KEY": creds.token}
                command = [sys.executable, "-m", "annotate", "serve", "--port", str(port), "--connect"]
                command += ["--project", "retrain-bench", "--retrain-every", str(every)]
                command += ["--models", str(folder / "models")]
                log = (folder / "serve.log").open("w")
                serve = subprocess.Popen(command, env=env, stdout=log, stderr=log)
                url = f"http://127.0.0.1:{port}"
                while True:
                    try:
                        _call(url + "/health")
                        break
                    except OSError:
                        time.sleep(0.5)
                while not studio.request("GET", "api/ml", "list", params={"project": project_id}):
                    time.sleep(0.5)
                base = _call(url + "/setup", "POST", {"project": f"{project_id}.1"})["model_version"]
                for document in documents[:every]:
                    studio.save_annotation(ids[document.article.id], builder.prediction(document)["result"])
                started = time.monotonic()
                served = filled = None
                while filled is None:
                    if served is None:
                        version = _call(url + "/setup", "POST", {"project": f"{project_id}.1"})[
                            "model_version"
                        ]
                        served = time.monotonic() - started if version != base else None
                    state = (_call(url + "/status")["training"] or {}).get(str(project_id), {})
                    if state.get("trainings", 0) >= 1 and state.get("state") == "idle":
                        filled = time.monotonic() - started
                    time.sleep(0.25)
                print(f"backend: {state['last']}")
                serve.terminate()
                serve.wait(30)
                serve = None
                started = time.monotonic()
                snapshot = folder / "snapshot.jsonl"
                pull(studio, "retrain-bench", snapshot)
                train = [sys.executable, "-m", "annotate", "train", "--from", str(snapshot)]
                subprocess.run([*train, "--out", str(folder / "alone")], check=True, capture_output=True)
                alone = time.monotonic() - started
        finally:
            if serve is not None:
                serve.terminate()
            server.stop()
            print((folder / "serve.log").read_text()[-2000:] if (folder / "serve.log").exists() else "")
    print(f"{len(documents)} WikiEvents dev articles, retrain every {every} annotations")
    print(f"N-th annotation -> new model served: {served if served is None else round(served, 1)} s")
    print(f"N-th annotation -> training over, untouched tasks filled: {filled:.1f} s")
    print(f"baseline, pull + `annotate train` alone: {alone:.1f} s")
    if served is not None:
        print(f"served / baseline: {served / alone:.2f}")


if __name__ == "__main__":
    main()
