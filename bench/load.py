"""A class on one server: many sessions at once, each speaking Streamlit's own websocket protocol (no browser),
so the figures are the server's and not thirty browsers sharing the same cores.

    python bench/load.py --sessions 30 [--pause 2-8] [--rounds 2] [--replicas 2]
    python bench/load.py --sessions 30 --burst        # all press the same button within one second

Each session opens every page in turn and, on each, changes one thing the way a student does (New samples on
Home and in the GAN Studio, another projection in the VAE Explorer, a random image in the Diffusion Theater's
forward tab, a Step in the Playground, a plain rerun in Generative vs Discriminative), pausing a random time from
--pause between interactions (0 for none). A script run is timed from the BackMsg that asks for it to the
ForwardMsg that says it finished. Prints p50 / p95 per page and interaction, errors (exceptions on a page, runs
that did not finish, lost connections), and the server's resident memory before, at its highest during, and
after each round (a few seconds after the sessions closed). With --replicas N the sessions go through HAProxy to
N server processes (deploy/serve_replicas.py), each session sticking to one by its cookie; CPU and memory are
then the replicas' together.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.driver import free_port, streamlit_server  # noqa: E402

# page (url path), what to change there: ("button", label) | ("radio", label, option index) | ("rerun",)
PLAN = [
    ("", ("button", "New samples")),
    ("gan_studio", ("button", "New samples")),
    ("vae_explorer", ("radio", "Projection", 1)),
    ("diffusion_theater", ("button", "Random image")),
    ("gen_vs_disc", ("rerun",)),
    ("playground", ("button", "Step")),
]


def cache_memory(base: str) -> dict[tuple[str, str], int]:
    """Streamlit's own account of what it holds, from /_stcore/metrics: bytes per (cache type, cache), for
    st.cache_data / st.cache_resource functions, media files (pictures sent to browsers), uploaded files and
    session state (counted in bytes when the server runs with server.enableExpensiveMemoryStats)."""
    text = urllib.request.urlopen(base + "/_stcore/metrics", timeout=60).read().decode()
    held: dict[tuple[str, str], int] = defaultdict(int)
    for match in re.finditer(r'cache_memory_bytes\{cache_type="([^"]*)",cache="([^"]*)"\} (\d+)', text):
        held[(match[1], match[2].rsplit(".", 1)[-1])] += int(match[3])
    return held


def print_cache_memory(held: dict[tuple[str, str], int], label: str, top: int = 8) -> None:
    by_type: dict[str, int] = defaultdict(int)
    for (kind, _), size in held.items():
        by_type[kind] += size
    print(f"  Streamlit holds {label}: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(by_type.items())))
    for (kind, name), size in sorted(held.items(), key=lambda item: -item[1])[:top]:
        print(f"    {size / 1e6:7.1f} MB  {kind} {name}")


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes together, in MB (from /proc)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Session:
    """One visitor: a websocket, the widgets of the page last drawn, and the timings of its script runs."""

    def __init__(self, url: str):
        self.url, self.widgets = url, {}

    async def __aenter__(self):
        import websockets
        # Behind a balancer, a browser first loads the page and gets its replica's cookie; do the same.
        page = await asyncio.to_thread(urllib.request.urlopen, self.url.replace("ws://", "http://").split("/_stcore")[0])
        cookies = "; ".join(c.split(";")[0] for c in page.headers.get_all("Set-Cookie") or [])
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60,
                                           ping_interval=None,
                                           additional_headers={"Cookie": cookies} if cookies else None)
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def run(self, page: str, states: list | None = None, fragment_id: str = "",
                  timeout: float = 300) -> tuple[float, bool]:
        """Ask for a script run of `page` with these widget states (of only the fragment `fragment_id` when the
        widget is inside one, as a browser asks); (seconds until it finished, whether the page showed an
        exception)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        message.rerun_script.page_name = page
        message.rerun_script.query_string = ""
        message.rerun_script.fragment_id = fragment_id
        for state in states or []:
            message.rerun_script.widget_states.widgets.append(state)
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        failed = False
        if not fragment_id:  # a fragment's rerun redraws only its own widgets: keep the others' ids
            self.widgets, self.fragment_of = {}, {}
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    failed = True
                widget = getattr(element, which, None)
                if widget is not None and hasattr(widget, "id") and hasattr(widget, "label") and widget.id:
                    self.widgets[(which, widget.label)] = widget.id
                    self.fragment_of[(which, widget.label)] = forward.delta.fragment_id
            elif kind == "script_finished":
                # FINISHED_SUCCESSFULLY = 0; a fragment or early-rerun end counts as finished too
                return time.perf_counter() - started, failed or forward.script_finished == 1

    def change(self, action: tuple) -> tuple[list, str]:
        """The widget state a student's action sends, and the fragment it reruns ("" for the whole page)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        if action[0] == "rerun":
            return [], ""
        state = WidgetState()
        kind = {"button": "button", "radio": "radio"}[action[0]]
        state.id = self.widgets[(kind, action[1])]
        if action[0] == "button":
            state.trigger_value = True
        else:
            state.int_value = action[2]
        return [state], self.fragment_of.get((kind, action[1]), "")


async def visitor(url: str, pause: tuple[float, float], timings: dict, errors: list, rng: random.Random):
    try:
        async with Session(url) as session:
            for page, action in PLAN:
                seconds, failed = await session.run(page)
                timings[(page or "home", "open")].append(seconds)
                if failed:
                    errors.append(f"{page or 'home'}: exception on open")
                if pause[1]:
                    await asyncio.sleep(rng.uniform(*pause))
                try:
                    states, fragment = session.change(action)
                except KeyError:
                    errors.append(f"{page or 'home'}: no widget {action[1]!r}")
                    continue
                seconds, failed = await session.run(page, states, fragment)
                timings[(page or "home", action[0] if action[0] == "rerun" else action[1])].append(seconds)
                if failed:
                    errors.append(f"{page or 'home'}: exception after {action}")
                if pause[1]:
                    await asyncio.sleep(rng.uniform(*pause))
    except Exception as error:  # a lost connection, a timeout: an error of the round, not of the bench
        errors.append(f"{type(error).__name__}: {str(error)[:80]}")


async def burst_visitor(url: str, everyone_in: asyncio.Event, opened: list, sessions: int, timings: dict,
                        errors: list, rng: random.Random):
    """Open GAN Studio, wait for the whole class to be in, then press New samples within the same second as
    everyone else (the teacher said "now")."""
    try:
        async with Session(url) as session:
            seconds, failed = await session.run("gan_studio")
            timings[("gan_studio", "open")].append(seconds)
            opened.append(1)
            if len(opened) == sessions:
                everyone_in.set()
            await everyone_in.wait()
            await asyncio.sleep(rng.uniform(0, 1))
            states, fragment = session.change(("button", "New samples"))
            seconds, failed = await session.run("gan_studio", states, fragment)
            timings[("gan_studio", "burst: New samples")].append(seconds)
            if failed:
                errors.append("gan_studio: exception in the burst")
    except Exception as error:  # noqa: BLE001 - a lost connection is an error of the round
        errors.append(f"{type(error).__name__}: {str(error)[:80]}")
        opened.append(1)
        if len(opened) == sessions:
            everyone_in.set()


async def burst_round(url: str, sessions: int, seed: int, pids: list[int]) -> tuple[dict, list, float, dict]:
    timings, errors, peak, opened, everyone_in = defaultdict(list), [], 0.0, [], asyncio.Event()
    rng = random.Random(seed)
    tasks = [asyncio.create_task(burst_visitor(url, everyone_in, opened, sessions, timings, errors,
                                               random.Random(rng.random()))) for _ in range(sessions)]
    while not all(t.done() for t in tasks):
        peak = max(peak, rss_mb(pids))
        await asyncio.sleep(0.25)
    return timings, errors, peak, {}


async def one_round(url: str, sessions: int, pause, seed: int, pids: list[int],
                    base: str | None = None) -> tuple[dict, list, float, dict]:
    """Timings, errors, peak memory, and (given the server's base URL) Streamlit's largest account of what it
    held, sampled every ten seconds while the sessions were open."""
    timings, errors, peak, held = defaultdict(list), [], 0.0, {}
    rng = random.Random(seed)
    tasks = [asyncio.create_task(visitor(url, pause, timings, errors, random.Random(rng.random())))
             for _ in range(sessions)]
    last_sample = time.perf_counter()
    while not all(t.done() for t in tasks):
        peak = max(peak, rss_mb(pids))
        if base and time.perf_counter() - last_sample > 10:
            last_sample = time.perf_counter()
            with contextlib.suppress(OSError):
                sample = await asyncio.to_thread(cache_memory, base)
                if sum(sample.values()) > sum(held.values()):
                    held = sample
        await asyncio.sleep(0.5)
    return timings, errors, peak, held


@contextlib.contextmanager
def serving(replicas: int):
    """(base URL, the server processes' pids): one `streamlit run`, or N behind HAProxy."""
    if not replicas:
        with streamlit_server("app.py", with_process=True) as (base, _, server):
            yield base, [server.pid]
        return
    sys.path.insert(0, str(ROOT / "deploy"))
    import serve_replicas
    port = free_port()
    deployment = serve_replicas.start(replicas, port, Path(tempfile.mkdtemp(prefix="genlab-load-")))
    try:
        yield f"http://127.0.0.1:{port}", [r.process.pid for r in deployment.replicas]
    finally:
        serve_replicas.stop(deployment)


async def probe(url: str) -> None:
    async with Session(url) as session:
        await session.run("")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--pause", default="2-8", help="seconds between a session's interactions, LOW-HIGH or 0")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=0, help="serve through HAProxy from this many processes")
    parser.add_argument("--burst", action="store_true",
                        help="instead: every session opens GAN Studio, then all press New samples within one second")
    parser.add_argument("--settle", type=float, default=None,
                        help="seconds to wait after a round before reading 'after' memory (default: the session TTL "
                             "+ 10): Streamlit keeps a closed session for server.disconnectedSessionTTL in case it "
                             "reconnects, so a shorter wait counts the last round's sessions as growth")
    parser.add_argument("--session-ttl", type=int, default=120,
                        help="the servers' server.disconnectedSessionTTL (Streamlit's default 120 s); a shorter one "
                             "lets many rounds run in less time: what a closed session leaves behind is the same")
    args = parser.parse_args(argv)
    os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(args.session_ttl)
    if args.settle is None:
        args.settle = args.session_ttl + 10
    low, _, high = args.pause.partition("-")
    pause = (float(low), float(high or low))

    # Session state counted in bytes in /_stcore/metrics (only computed when the bench asks for it)
    os.environ.setdefault("STREAMLIT_SERVER_ENABLE_EXPENSIVE_MEMORY_STATS", "true")
    with serving(args.replicas) as (base, pids):
        url = base.replace("http://", "ws://") + "/_stcore/stream"
        print(f"{args.sessions} sessions, " + ("a burst: all press New samples within 1 s" if args.burst else
                                               f"pause {args.pause} s between interactions") + f", {args.rounds} rounds")
        waited = until_quiet(pids)  # the start-up's background work (ui.warmup.warm_reveals) done: a class
        print(f"server memory idle: {rss_mb(pids):.0f} MB (start-up work finished {waited:.0f} s after it opened)")
        for k in range(args.rounds):
            cpu_before = cpu_seconds(pids)
            started = time.perf_counter()
            timings, errors, peak, held = asyncio.run(
                burst_round(url, args.sessions, k, pids) if args.burst else
                one_round(url, args.sessions, pause, k, pids, None if args.replicas else base))
            wall = time.perf_counter() - started
            cpu = cpu_seconds(pids) - cpu_before
            time.sleep(args.settle)
            asyncio.run(probe(url))  # a new visitor: Streamlit drops expired sessions when the next one arrives
            runs = [s for values in timings.values() for s in values]
            print(f"\nround {k + 1}: {len(runs)} script runs in {wall:.0f} s, server CPU {cpu:.0f} s "
                  f"({cpu / wall:.2f} cores); all runs p50 {statistics.median(runs):.2f} s, "
                  f"p95 {percentile(runs, 0.95):.2f} s; errors {len(errors)}")
            for (page, what), values in sorted(timings.items()):
                print(f"  {page:<18} {what:<14} p50 {statistics.median(values):6.2f} s   "
                      f"p95 {percentile(values, 0.95):6.2f} s   ({len(values)})")
            for error in sorted(set(errors))[:10]:
                print(f"  error: {error} (x{errors.count(error)})")
            after = rss_mb(pids)
            grown = after - last_after if k else 0.0
            print(f"  server memory: peak {peak:.0f} MB during, {after:.0f} MB {args.settle:.0f} s after"
                  + (f" ({grown:+.0f} MB since the round before)" if k else ""))
            last_after = after
            if not args.replicas:
                print_cache_memory(held, "at most, while the sessions were open")
                with contextlib.suppress(OSError):
                    kept = cache_memory(base)
                    print_cache_memory(kept, f"{args.settle:.0f} s after")
                    # Growth that is bounded (caches fill up to their max_entries, then evict) apart from the rest
                    kept_mb = sum(kept.values()) / 1e6
                    if k:
                        print(f"  of the growth, Streamlit's caches {kept_mb - last_kept:+.1f} MB, the rest "
                              f"{grown - (kept_mb - last_kept):+.1f} MB")
                    last_kept = kept_mb
    return 0


def until_quiet(pids: list[int], limit: float = 180.0) -> float:
    """Wait until the servers use under a tenth of a core for a whole second (their start-up's background work
    is done, as before a class arrives); returns the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = cpu_seconds(pids)
        time.sleep(1.0)
        if cpu_seconds(pids) - before < 0.1:
            break
    return time.perf_counter() - started


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far, in seconds (from /proc/PID/stat)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


if __name__ == "__main__":
    sys.exit(main())
