#!/usr/bin/env python3
"""The table of a `parley bench` run: one markdown row per target row, Parley next to ejabberd.

    report.py RESULTS_DIR            # prints the table, writes RESULTS_DIR/table.md and results-augmented.jsonl

Reads RESULTS_DIR/rows.txt (the row ids that were run), parley/<row>.jsonl (loadgen lines of each row),
ejabberd/rows/<row>.jsonl (same rows run by run-ejabberd.sh PROFILE=rows, if any), samples.tsv (sampler.py:
node and Cassandra CPU ticks) and uptime.txt. Each loadgen line has the epoch window of its measurement
(window_start_ms/window_end_ms, also with login_/idle_/store_/deliver_ prefixes); the sampled node and Cassandra
CPU is cut to that window and added to the line (results-augmented.jsonl).

Exit status 1 when a row that was run has no result line (so `run-bench.sh --quick` fails loudly).
"""
import bisect
import json
import os
import sys

HZ = os.sysconf("SC_CLK_TCK")
PREFIXES = ["", "login_", "idle_", "store_", "deliver_"]


# ------------------------------------------------------------------ input

def read_lines(path):
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def read_samples(path):
    """pid -> (label, [epoch_ms...], [ticks...])"""
    by_pid = {}
    if not os.path.exists(path):
        return by_pid
    for line in open(path):
        p = line.rstrip("\n").split("\t")
        if len(p) != 4:
            continue
        t, label, pid, ticks = int(p[0]), p[1], int(p[2]), int(p[3])
        e = by_pid.setdefault(pid, (label, [], []))
        e[1].append(t)
        e[2].append(ticks)
    return by_pid


def value_at(ts, vs, t):
    """Ticks at time t, linearly interpolated, clamped to the sampled range."""
    if t <= ts[0]:
        return vs[0]
    if t >= ts[-1]:
        return vs[-1]
    i = bisect.bisect_right(ts, t)
    t0, t1, v0, v1 = ts[i - 1], ts[i], vs[i - 1], vs[i]
    return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1


def sampled_cores(samples, a, b, prefix):
    if not samples or a is None or b is None or b <= a:
        return None
    total, seen = 0.0, False
    for label, ts, vs in samples.values():
        if not label.startswith(prefix) or ts[-1] < a or ts[0] > b:
            continue
        seen = True
        total += max(0.0, value_at(ts, vs, b) - value_at(ts, vs, a))
    return total / HZ / ((b - a) / 1000.0) if seen else None


def augment(j, samples):
    for p in PREFIXES:
        a, b = j.get(p + "window_start_ms"), j.get(p + "window_end_ms")
        if a is None:
            continue
        node = sampled_cores(samples, a, b, "node-")
        cass = sampled_cores(samples, a, b, "cassandra")
        j[p + "node_cpu_cores"] = node
        j[p + "cassandra_cpu_cores"] = cass
    return j


# ------------------------------------------------------------------ formatting

def n(v, digits=None):
    if v is None:
        return "?"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        if digits is None:
            digits = 0 if abs(v) >= 100 or float(v).is_integer() else (1 if abs(v) >= 10 else 2)
        return f"{v:,.{digits}f}".replace(",", " ")
    return str(v)


def ok(flag):
    return "✔" if flag else "✘"


def good(j):
    return j is not None and "error" not in j


def cpu_total(j, prefix="", parley=True):
    """(text, total cores or None) for one window of a line."""
    client = j.get(prefix + "client_cpu_cores")
    if parley:
        node = j.get(prefix + "node_cpu_cores")
        if node is None:
            node = j.get(prefix + "server_cpu_cores")
        cass = j.get(prefix + "cassandra_cpu_cores")
        total = None if node is None else node + (cass or 0.0)
        text = f"node {n(node, 2)} + Cassandra {n(cass, 2)} = {n(total, 2)}"
    else:
        total = j.get(prefix + "server_cpu_cores")
        text = f"{n(total, 2)}"
    return text + f" (client {n(client, 2)})", total


def machine(j, prefix=""):
    return f"busy {n(j.get(prefix + 'machine_busy_pct'), 0)} %, load {j.get(prefix + 'loadavg_end', '?')}"


def per_unit(total_cores, per_s, unit):
    if total_cores is None or not per_s:
        return "?"
    return f"{n(total_cores * 1000.0 / per_s, 3)} ms/{unit}"


def setup_failures(j):
    """Logins / joins that failed before the steps (their share of the deliveries then counts as lost)."""
    parts = [f"{n(j[k])} {k.split('_')[0]}s failed" for k in ("login_failed", "join_failed") if j.get(k)]
    return f" ({', '.join(parts)})" if parts else ""


def step_figure(j, limit=None):
    s = (f"{n(j.get('rate_target'))} msg/s -> {n(j.get('delivered_per_s'))} deliveries/s; "
         f"p50 {n(j.get('latency_p50_ms'))} / p99 {n(j.get('latency_p99_ms'))} ms; "
         f"lost {n(j.get('lost'))}{setup_failures(j)}, errors {n(j.get('errors'))}")
    if limit is not None:
        p99 = j.get("latency_p99_ms")
        met = p99 is not None and p99 <= limit and j.get("lost") == 0 and j.get("errors") == 0
        s = f"{ok(met)} " + s
    return s


# ------------------------------------------------------------------ rows

def steps(lines, workload):
    return [j for j in lines if j.get("workload") == workload and "rate_target" in j]


def summary(lines, workload):
    s = [j for j in lines if j.get("workload") == workload + "-search-summary"]
    return s[-1] if s else None


def search_cells(lines, workload, unit, parley):
    """A search row: (figure, cpu, per msg, machine) or None when there is no result."""
    summ = summary(lines, workload)
    st = steps(lines, workload)
    if summ is None and not st:
        return None
    mx = summ.get("max_sustainable_rate") if summ else None
    if mx is None:
        first = st[0] if st else {}
        fig = f"✘ **none passes** (first step {step_figure(first)})" if st else "✘ no step ran"
        at = first
    else:
        at = [j for j in st if j.get("rate_target") == mx and j.get("pass")]
        at = at[-1] if at else {}
        fan = summ.get("max_sustainable_deliveries_per_s")
        extra = f" = {n(fan)} deliveries/s" if fan and fan != mx else ""
        ff = summ.get("first_failing_rate")
        top = max((j.get("rate_target") or 0) for j in st) if st else mx
        failing = f"first failing {n(ff)}" if ff is not None else f"no step failed up to {n(top)}: the search stopped"
        fig = (f"✔ **{n(mx)} msg/s**{extra} (p50 {n(at.get('latency_p50_ms'))} / p99 {n(summ.get('at_max_p99_ms'))} ms, "
               f"0 lost; {failing}; confirm {summ.get('confirm_passes')}/{summ.get('confirm_runs')})")
    text, total = cpu_total(at, parley=parley) if at else ("?", None)
    return fig, text, per_unit(total, at.get("delivered_per_s") if at else None, unit), machine(at) if at else "?"


def fixed_cells(j, limit, unit, parley):
    text, total = cpu_total(j, parley=parley)
    return step_figure(j, limit), text, per_unit(total, j.get("delivered_per_s"), unit), machine(j)


def overload_cells(lines, parley):
    st = steps(lines, "w1")
    if not st:
        return None
    over = st[0]
    fig = (f"{n(over.get('rate_target'))} msg/s offered for {n(over.get('duration_s'))} s: "
           f"{n(over.get('delivered_per_s'))} delivered/s; p99 {n(over.get('latency_p99_ms'))} ms; "
           f"**lost {n(over.get('lost'))}, errors {n(over.get('errors'))}**")
    if len(st) > 1:
        rec = st[1]
        recovered = rec.get("pass") is True
        fig += (f"; {ok(recovered)} recovered: {'yes' if recovered else 'no'} (next step at {n(rec.get('rate_target'))} "
                f"msg/s: p99 {n(rec.get('latency_p99_ms'))} ms, lost {n(rec.get('lost'))}, errors {n(rec.get('errors'))}, "
                f"{n(rec.get('clients_active_end'))} clients connected)")
    else:
        fig += "; ✘ recovery step did not run"
    text, total = cpu_total(over, parley=parley)
    return fig, text, per_unit(total, over.get("delivered_per_s"), "msg"), machine(over)


def w3_cells(lines, parley):
    w = [j for j in lines if j.get("workload") == "w3" and "login_ok" in j]
    if not w:
        return None
    j = w[-1]
    heap = [h for h in lines if h.get("workload") == "w3-heap"]
    fig = (f"{ok(j.get('login_failed') == 0)} **{n(j.get('login_per_s'))} logins/s** ({n(j.get('login_ok'))} ok, "
           f"{n(j.get('login_failed'))} failed; p50 {n(j.get('login_latency_p50_ms'))} / p99 "
           f"{n(j.get('login_latency_p99_ms'))} ms); **RSS {n(j.get('server_rss_kb_per_conn'), 1)} KB/session**")
    if heap and heap[-1].get("heap_kb_per_session") is not None:
        h = heap[-1]
        fig += (f"; **live heap {n(h['heap_kb_per_session'], 1)} KB/session** ({n(h.get('heap_used_kb_before'))} K -> "
                f"{n(h.get('heap_used_kb_after_login'))} K after GC.run)")
    text, total = cpu_total(j, "login_", parley)
    idle_text, _ = cpu_total(j, "idle_", parley)
    text += f"; idle: {idle_text}"
    per = per_unit(total, j.get("login_per_s"), "login")
    return fig, text, per, machine(j, "login_")


def w4_cells(lines, parley):
    w = [j for j in lines if j.get("workload") == "w4" and "delivered" in j]
    if not w:
        return None
    j = w[-1]
    k = (j.get("messages") or 0) * (j.get("pairs") or 1)
    t_all = j.get("time_to_all_delivered_ms")
    fig = (f"{ok(j.get('pass') is True)} {n(j.get('delivered'))}/{n(k)} delivered, offline-flagged "
           f"{n(j.get('offline_flagged'))}; time to all: **{n(t_all) + ' ms' if t_all is not None else 'not reached'}** "
           f"(last delivery {n(j.get('time_to_last_delivered_ms'))} ms after login start); lost {n(j.get('lost'))}, "
           f"dup {n(j.get('dup'))}; store {n(j.get('send_and_store_ms'))} ms ({n(j.get('store_msgs_per_s'))} msg/s)")
    store_text, store_total = cpu_total(j, "store_", parley)
    deliver_text, _ = cpu_total(j, "deliver_", parley)
    text = f"store: {store_text}; delivery: {deliver_text}"
    return fig, text, per_unit(store_total, j.get("store_msgs_per_s"), "stored msg"), machine(j, "deliver_")


def table_rows(row, lines, parley):
    """[(label, cells or None)] for one row id."""
    def size(key, default="?"):
        for j in lines:
            if key in j:
                return j[key]
        return default
    if row == "w1-search":
        return [(f"W1 one-to-one, {n(size('clients'))} clients: max msg/s (p99 ≤ 200 ms, 0 lost)",
                 search_cells(lines, "w1", "msg", parley))]
    if row == "w1-overload":
        st = steps(lines, "w1")
        rate = f"{n(st[0].get('rate_target'))} msg/s = " if st else ""
        return [(f"W1 overload: {rate}2 × the max (2 × the start rate if none passed), {n(size('clients'))} new "
                 f"clients", overload_cells(lines, parley))]
    if row == "w2-chatroom":
        return [(f"W2 chatroom of {n(size('members'))} members: max msg/s (p99 ≤ 200 ms, 0 lost)",
                 search_cells(lines, "w2", "delivery", parley))]
    if row == "w2-group":
        st = steps(lines, "w2")
        m = size("members")
        total = m + 1 if isinstance(m, int) else m
        if not st:
            return [(f"W2 group of {n(total)} members, fixed rates (p99 ≤ 200 ms, 0 lost)", None)]
        return [(f"W2 group of {n(total)} members at {n(j.get('rate_target'))} msg/s (p99 ≤ 200 ms, 0 lost)",
                 fixed_cells(j, 200, "delivery", parley)) for j in st]
    if row == "w2-chatroom-big":
        st = steps(lines, "w2")
        label = f"W2 chatroom of {n(size('members'))} members at {n(st[0].get('rate_target')) if st else '?'} msg/s (p99 ≤ 500 ms, 0 lost)"
        return [(label, fixed_cells(st[-1], 500, "delivery", parley) if st else None)]
    if row == "w3-idle":
        return [(f"W3 {n(size('connections_target'))} idle sessions", w3_cells(lines, parley))]
    if row == "w4-offline-v1":
        return [(f"W4 {n(size('messages'))} offline messages, 1 pair (Parley: protocol v1 push)", w4_cells(lines, parley))]
    return [(row, None)]


def error_of(lines):
    e = [j.get("error") for j in lines if "error" in j]
    return e[-1] if e else None


def main(d):
    rows = [r for r in open(os.path.join(d, "rows.txt")).read().split() if r]
    samples = read_samples(os.path.join(d, "samples.tsv"))
    ej_dir = os.path.join(d, "ejabberd", "rows")
    have_ej = os.path.isdir(ej_dir)
    missing = []
    out = ["| row | Parley | Parley CPU, cores (node + Cassandra; client) | Parley CPU per unit | machine (Parley step) |"
           + (" ejabberd | ejabberd CPU, cores (client) | ejabberd CPU per unit |" if have_ej else "")]
    out.append("|---|---|---|---|---|" + ("---|---|---|" if have_ej else ""))
    augmented = []
    for row in rows:
        lines = [augment(j, samples) for j in read_lines(os.path.join(d, "parley", row + ".jsonl"))]
        augmented += [dict(j, row=row) for j in lines]
        ej_lines = read_lines(os.path.join(ej_dir, row + ".jsonl")) if have_ej else []
        ej = {label: cells for label, cells in table_rows(row, ej_lines, False)} if have_ej else {}
        ej_cells = list(ej.values())
        for i, (label, cells) in enumerate(table_rows(row, lines, True)):
            if cells is None:
                missing.append(row)
                err = error_of(lines)
                cells = ("**no result**" + (f" (error: {err[:200]})" if err else ""), "", "", "")
            line = f"| {label} | " + " | ".join(c.replace("|", "/") for c in cells) + " |"
            if have_ej:
                e = ej_cells[i] if i < len(ej_cells) else None
                if e is None:
                    err = error_of(ej_lines)
                    line += (" no result" + (f" ({err[:120]})" if err else "") + " | | |")
                else:
                    line += f" {e[0]} | {e[1]} | {e[2]} |"
            out.append(line)
    with open(os.path.join(d, "results-augmented.jsonl"), "w") as f:
        for j in augmented:
            f.write(json.dumps(j) + "\n")
    notes = []
    up = os.path.join(d, "uptime.txt")
    if os.path.exists(up):
        notes.append("Machine load (`uptime`): " + "; ".join(l.strip() for l in open(up) if l.strip()))
    notes.append("CPU is over each step's send window (W3: the login window, W4: store and delivery windows); node and "
                 "Cassandra figures come from sampler.py (/proc/PID/stat every 0.5 s), client = the loadgen JVM. "
                 "CPU per unit = (node + Cassandra) CPU time per delivered message / delivery / login / stored message.")
    if missing:
        notes.append("**Rows without a result line: " + ", ".join(sorted(set(missing))) + "**")
    text = "\n".join(out) + "\n\n" + "\n\n".join(notes) + "\n"
    with open(os.path.join(d, "table.md"), "w") as f:
        f.write(text)
    print(text)
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
