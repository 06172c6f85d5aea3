#!/usr/bin/env python3
"""Checks deploy/: the Dockerfile and its entrypoint, and that the Kubernetes manifests parse and
hold what makes them work (docs/deployment.md):

- every instance is a StatefulSet of one pod with a profile of its own, a volume claim for its
  state mounted where the image keeps it, its token from a Secret file, `gateway --bind lan`
  (the kubelet's probes and the Services come from outside the pod), /readyz and /healthz probes
  on the gateway's port, and a Service for that port;
- the rescue bot never shares a node with the instance it watches, and watches it through a URL
  that reaches main's TLS port by a DNS name main's headless Service gives it, with a CA file
  it mounts;
- main's TLS proxy forwards to the gateway's port with a Host the gateway accepts.

Then `kubectl kustomize` renders the same objects, where kubectl is installed.

    check_deploy.py DEPLOY_DIR        exit 0 when all hold, 1 listing every failure
"""
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def config_set(path):
    """The "KEY JSON-VALUE" lines of a config-set file, as {key: value}."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition(" ")
            try:
                out[key] = json.loads(value)
            except json.JSONDecodeError as e:
                check(False, f"{path}: {key}: the value is not JSON ({e})")
    return out


def check_docker(deploy):
    dockerfile = open(os.path.join(deploy, "Dockerfile")).read()
    check(re.search(r"^FROM debian:12(-slim)?\s*$", dockerfile, re.M),
          "Dockerfile: FROM debian:12 (bookworm: the .deb's dependencies are bookworm's)")
    check(re.search(r"apt-get install[^\n]*\\?\n?[^\n]*/tmp/openclaw-host_\*\.deb", dockerfile),
          "Dockerfile: installs the openclaw-host .deb with apt-get (which resolves its Depends)")
    check(re.search(r"^USER 10001", dockerfile, re.M), "Dockerfile: runs as the non-root user 10001")
    check(re.search(r"^VOLUME /var/lib/openclaw", dockerfile, re.M),
          "Dockerfile: the state is a volume")
    check("OPENCLAW_HOME=/var/lib/openclaw" in dockerfile,
          "Dockerfile: OPENCLAW_HOME is the volume")
    check(re.search(r'^CMD \["gateway", "--bind", "lan"\]', dockerfile, re.M),
          "Dockerfile: the default command is `gateway --bind lan`")
    ignore = open(os.path.join(deploy, "Dockerfile.dockerignore")).read().split()
    check("!build/openclaw-host_*.deb" in ignore and "!deploy/entrypoint.sh" in ignore,
          "Dockerfile.dockerignore: the context holds the .deb and the entrypoint")
    entry = os.path.join(deploy, "entrypoint.sh")
    check(os.access(entry, os.X_OK), "entrypoint.sh is executable")
    r = subprocess.run(["/bin/sh", "-n", entry], capture_output=True, text=True)
    check(r.returncode == 0, f"entrypoint.sh: sh -n: {r.stderr.strip()}")
    text = open(entry).read()
    check("OPENCLAW_GATEWAY_TOKEN_FILE" in text and "export OPENCLAW_GATEWAY_TOKEN" in text,
          "entrypoint.sh: exports the token read from OPENCLAW_GATEWAY_TOKEN_FILE")
    check(re.search(r'^exec openclaw-host "\$@"', text, re.M),
          "entrypoint.sh: execs openclaw-host (the gateway gets the signals)")


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def container(sts, name):
    for c in sts["spec"]["template"]["spec"]["containers"]:
        if c["name"] == name:
            return c
    return None


def env_of(c):
    return {e["name"]: e.get("value") for e in c.get("env", [])}


def port_of(c, name):
    for p in c.get("ports", []):
        if p.get("name") == name:
            return p["containerPort"]
    return None


def mount_for(c, path):
    """The volume mount of `c` that holds `path`, or None."""
    best = None
    for m in c.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best["mountPath"]):
                best = m
    return best


def selects(service, labels):
    sel = service["spec"].get("selector", {})
    return bool(sel) and all(labels.get(k) == v for k, v in sel.items())


def check_kubernetes(kdir):
    kust = yaml.safe_load(open(os.path.join(kdir, "kustomization.yaml")))
    docs = []
    for res in kust["resources"]:
        path = os.path.join(kdir, res)
        if check(os.path.exists(path), f"kustomization: resource {res} is missing"):
            docs += load_all(path)
    generated = {}
    for gen in kust.get("configMapGenerator", []):
        files = {}
        for spec in gen["files"]:
            key, _, file = spec.partition("=")
            files[key] = os.path.join(kdir, file or key)
            check(os.path.exists(files[key]), f"configMapGenerator {gen['name']}: {file} is missing")
        generated[gen["name"]] = files

    statefulsets = by_kind(docs, "StatefulSet")
    services = by_kind(docs, "Service")
    check(set(statefulsets) == {"openclaw-main", "openclaw-rescue"},
          f"one StatefulSet per instance (main, rescue), got {sorted(statefulsets)}")
    profiles = {}
    for name, sts in statefulsets.items():
        where = f"StatefulSet {name}"
        spec = sts["spec"]
        labels = spec["template"]["metadata"]["labels"]
        check(spec.get("replicas") == 1, f"{where}: replicas 1 (a second pod is another instance)")
        check(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()),
              f"{where}: the selector matches the pod labels")
        gw = container(sts, "gateway")
        if not check(gw is not None, f"{where}: a container named gateway"):
            continue
        env = env_of(gw)
        profiles[name] = env.get("OPENCLAW_PROFILE")
        check(gw.get("args", [])[:1] == ["gateway"] and "--bind" in gw.get("args", []) and
              gw["args"][gw["args"].index("--bind") + 1] == "lan",
              f"{where}: runs `gateway --bind lan` (loopback is unreachable for probes and Services)")
        port = port_of(gw, "gateway")
        check(port is not None and str(port) == env.get("OPENCLAW_GATEWAY_PORT"),
              f"{where}: the container port named gateway is OPENCLAW_GATEWAY_PORT")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            http = gw.get(probe, {}).get("httpGet", {})
            check(http.get("path") == path and http.get("port") in ("gateway", port),
                  f"{where}: {probe} is GET {path} on the gateway port")
            headers = {h["name"].lower(): h["value"] for h in http.get("httpHeaders", [])}
            check("host" not in headers or headers["host"] in ("localhost", "127.0.0.1"),
                  f"{where}: {probe} sends a Host the gateway accepts")
        # The state: a claim per pod, mounted where the image keeps it.
        claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        state = mount_for(gw, "/var/lib/openclaw/.openclaw-" + str(profiles[name]))
        check(state is not None and state["name"] in claims and
              state["mountPath"] == "/var/lib/openclaw",
              f"{where}: /var/lib/openclaw (OPENCLAW_HOME) is a volumeClaimTemplate")
        volumes = {v["name"]: v for v in spec["template"]["spec"].get("volumes", [])}
        token = env.get("OPENCLAW_GATEWAY_TOKEN_FILE")
        tm = mount_for(gw, token or "")
        check(tm is not None and "secret" in volumes.get(tm["name"], {}),
              f"{where}: OPENCLAW_GATEWAY_TOKEN_FILE is in a mounted Secret")
        cfg = env.get("OPENCLAW_CONFIG_SET")
        cm = mount_for(gw, cfg or "")
        cmname = volumes.get(cm["name"], {}).get("configMap", {}).get("name") if cm else None
        check(cmname in generated and os.path.basename(cfg) in generated[cmname],
              f"{where}: OPENCLAW_CONFIG_SET is a generated ConfigMap's file")
        sc = spec["template"]["spec"].get("securityContext", {})
        check(sc.get("runAsNonRoot") is True and sc.get("fsGroup") == 10001,
              f"{where}: runs as non-root with fsGroup 10001 (the image's user owns the volume)")
        check(mount_for(gw, "/tmp") is not None and
              gw.get("securityContext", {}).get("readOnlyRootFilesystem") is True,
              f"{where}: read-only root with /tmp (the port registry) on a volume")
        headless = services.get(spec.get("serviceName"), {})
        check(headless.get("spec", {}).get("clusterIP") == "None" and selects(headless, labels),
              f"{where}: serviceName is a headless Service selecting its pod")
        exposed = [s for s in services.values()
                   if s["spec"].get("clusterIP") != "None" and selects(s, labels) and
                   any(p.get("targetPort") in ("gateway", port) for p in s["spec"]["ports"])]
        check(len(exposed) == 1, f"{where}: one Service for the gateway port")
        sets = config_set(generated[cmname][os.path.basename(cfg)]) if cmname in generated else {}
        origins = sets.get("gateway.controlUi.allowedOrigins", [])
        for s in exposed:
            check(any(o.startswith(f"http://{s['metadata']['name']}:") for o in origins),
                  f"{where}: gateway.controlUi.allowedOrigins lets Host {s['metadata']['name']} in")
    check(len(set(profiles.values())) == len(profiles) and None not in profiles.values(),
          f"every StatefulSet has a profile of its own, got {profiles}")

    main, rescue = statefulsets.get("openclaw-main"), statefulsets.get("openclaw-rescue")
    if not (main and rescue):
        return docs
    main_labels = main["spec"]["template"]["metadata"]["labels"]
    anti = rescue["spec"]["template"]["spec"].get("affinity", {}).get("podAntiAffinity", {})
    terms = anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])
    check(any(t.get("topologyKey") == "kubernetes.io/hostname" and
              all(main_labels.get(k) == v for k, v in t["labelSelector"]["matchLabels"].items())
              for t in terms),
          "rescue: required pod anti-affinity against main's pods per node")

    # The watch: https to main's TLS port, by the pod's name on main's headless Service.
    rgw = container(rescue, "gateway")
    renv = env_of(rgw)
    cmname = next(v["configMap"]["name"] for v in rescue["spec"]["template"]["spec"]["volumes"]
                  if v["name"] == mount_for(rgw, renv["OPENCLAW_CONFIG_SET"])["name"])
    watch = config_set(generated[cmname]["config-set"]).get("plugins.entries.rescue.config.watch")
    remote = [w for w in (watch or []) if isinstance(w, dict) and w.get("name") == "main"]
    if check(len(remote) == 1, "rescue: watches main as a remote gateway {name, url, caFile}"):
        w = remote[0]
        m = re.match(r"^https://([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)$", w["url"])
        if check(m, f"rescue: watch url {w['url']} is https://<pod>.<service>:<port>"):
            pod, ordinal, svc, port = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
            check(pod == "openclaw-main" and ordinal < main["spec"]["replicas"] and
                  svc == main["spec"]["serviceName"],
                  "rescue: the watch url names main's pod on main's headless Service")
            headless = services.get(svc, {})
            check(headless.get("spec", {}).get("publishNotReadyAddresses") is True,
                  "main's headless Service publishes pods that are not ready (degraded != gone)")
            target = [p.get("targetPort") for p in headless.get("spec", {}).get("ports", [])
                      if p["port"] == port]
            tls = container(main, "tls-proxy")
            check(tls is not None and target and
                  target[0] in ("gateway-tls", port_of(tls, "gateway-tls")),
                  "rescue: the watch url's port is main's TLS proxy")
        ca = w.get("caFile", "")
        check(mount_for(rgw, ca) is not None, f"rescue: caFile {ca} is on a mounted volume")
        check("tokenFile" not in w or mount_for(rgw, w["tokenFile"]).get("subPath"),
              "rescue: a tokenFile is mounted with subPath (a Secret volume's files are symlinks, "
              "which the rescue bot refuses)")
    # main's TLS proxy forwards to the gateway with a Host the gateway accepts.
    conf = open(generated["openclaw-main-tls-proxy"]["default.conf"]).read()
    gport = port_of(container(main, "gateway"), "gateway")
    check(re.search(r"listen 8443 ssl;", conf) and port_of(container(main, "tls-proxy"),
                                                          "gateway-tls") == 8443,
          "tls-proxy.conf: listens with TLS on the container's gateway-tls port")
    check(f"proxy_pass http://127.0.0.1:{gport};" in conf,
          "tls-proxy.conf: proxies to the gateway's port on loopback")
    check(re.search(r"proxy_set_header Host (localhost|127\.0\.0\.1);", conf),
          "tls-proxy.conf: sends a loopback Host (the gateway refuses other names)")
    return docs


def check_kustomize(kdir, docs, namespace):
    kubectl = shutil.which("kubectl")
    if not kubectl:
        print("kubectl is not installed: the `kubectl kustomize` render is skipped")
        return
    r = subprocess.run([kubectl, "kustomize", kdir], capture_output=True, text=True, timeout=60)
    if not check(r.returncode == 0, f"kubectl kustomize failed: {r.stderr.strip()}"):
        return
    rendered = [d for d in yaml.safe_load_all(r.stdout) if d]
    names = {(d["kind"], d["metadata"]["name"]) for d in rendered}
    for d in docs:
        check((d["kind"], d["metadata"]["name"]) in names,
              f"kubectl kustomize: {d['kind']} {d['metadata']['name']} is missing")
    for d in rendered:
        if d["kind"] != "Namespace":
            check(d["metadata"].get("namespace") == namespace,
                  f"kubectl kustomize: {d['kind']} {d['metadata']['name']} is in {namespace}")
    # Generated ConfigMaps get a content hash: the StatefulSets must refer to those names.
    cms = {d["metadata"]["name"] for d in rendered if d["kind"] == "ConfigMap"}
    for d in rendered:
        if d["kind"] == "StatefulSet":
            for v in d["spec"]["template"]["spec"]["volumes"]:
                if "configMap" in v:
                    check(v["configMap"]["name"] in cms,
                          f"kubectl kustomize: {d['metadata']['name']} mounts ConfigMap "
                          f"{v['configMap']['name']}, which is not rendered")
    print(f"kubectl kustomize: {len(rendered)} objects rendered")


def main():
    deploy = sys.argv[1]
    kdir = os.path.join(deploy, "kubernetes")
    check_docker(deploy)
    docs = check_kubernetes(kdir)
    namespace = yaml.safe_load(open(os.path.join(kdir, "kustomization.yaml"))).get("namespace")
    check_kustomize(kdir, docs, namespace)
    for f in failures:
        print("FAIL: " + f)
    if failures:
        print(f"{len(failures)} problem(s) in {deploy} (see docs/deployment.md)")
        return 1
    print(f"{deploy}: the Dockerfile and the Kubernetes manifests hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
