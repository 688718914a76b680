"""scripts/bench: asks the --server endpoint N times, one connection per request as the SDKs
do, and prints the latency percentiles and the waiting parent's memory. Run as the child of
`mfa-env exec PROFILE --server -- python3 scripts/endpoint-client.py N`."""
import http.client, os, statistics, sys, time, urllib.parse

n = int(sys.argv[1])
url = urllib.parse.urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
headers = {"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}
times = []
for _ in range(n):
    start = time.perf_counter()
    c = http.client.HTTPConnection(url.hostname, url.port)
    c.request("GET", url.path, headers=headers)
    r = c.getresponse()
    r.read()
    c.close()
    times.append(time.perf_counter() - start)
    assert r.status == 200, r.status
times.sort()
status = dict(
    line.split(":", 1) for line in open(f"/proc/{os.getppid()}/status") if ":" in line
)
kib = lambda k: int(status[k].split()[0])
print(
    f"{statistics.median(times) * 1e3:.3f} {times[int(len(times) * 0.99) - 1] * 1e3:.3f} "
    f"{kib('VmRSS')} {kib('VmHWM')}"
)
