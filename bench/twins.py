#!/usr/bin/env python3
"""Writes a pgbench twin of one API request from PostgreSQL's own statement log.

bench/run turns on `log_statement = 'all'`, brackets one request with `SELECT 'MARK <name>'` and
`SELECT 'MARK end-<name>'`, and calls this script. The request's statements are those of the one
backend that ran the most statements between the marks (a handler uses one pooled connection;
the background workers' rare statements, which all claim rows with SKIP LOCKED, are dropped).
Every statement is written in order with its parameters turned into pgbench variables, so the
twin runs exactly the handler's SQL with the handler's values, prepared like the handler's.

A transaction's COMMIT becomes ROLLBACK: the twin of a write can then run in a loop without
unique-key conflicts or table growth. That makes the twin a little cheaper than the handler (no
commit flush), so the API/pgbench ratio it yields errs against the API.

Writes run as in a loop: a row the handler inserted and later statements refer to (INSERT ...
RETURNING id) is taken with `\gset`, and each `--unique table.column` value is drawn at random per
transaction (it would otherwise collide with the row the logged request committed).

usage: twins.py LOG NAME TWIN_SQL DEFS_OUT [--unique table.column ...]
"""
import re
import sys

log_path, name, twin_path, defs_path = sys.argv[1:5]
unique = {tuple(a.split(".", 1)) for a in sys.argv[6::2]} if "--unique" in sys.argv else set()
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
lines = open(log_path, encoding="utf-8", errors="replace").read().split("\n")

start = max(i for i, l in enumerate(lines) if f"statement: SELECT 'MARK {name}'" in l)
end = next(i for i, l in enumerate(lines) if i > start and f"statement: SELECT 'MARK end-{name}'" in l)

entry = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (LOG|DETAIL):  (.*)$")
records = []  # (pid, kind, text); kind: execute | statement | parameters
for line in lines[start + 1:end]:
    m = entry.match(line)
    if m:
        pid, level, text = m.groups()
        if level == "LOG" and (s := re.match(r"execute [^:]*: (.*)$", text, re.S)):
            records.append([pid, "execute", s.group(1)])
        elif level == "LOG" and text.startswith("statement: "):
            records.append([pid, "statement", text[len("statement: "):]])
        elif level == "DETAIL" and text.startswith("parameters: "):
            records.append([pid, "parameters", text[len("parameters: "):]])
        else:
            records.append([pid, "other", text])
    elif line.startswith("\t") and records:
        records[-1][2] += "\n" + line[1:]

# The pool's checkout ping (`SELECT $1` with 1) runs only on a connection idle for over 0.5 s
# (db::CheckedManager), so never under load: it is not part of a request's steady-state work.
def is_ping(i):
    r = records[i]
    nxt = records[i + 1] if i + 1 < len(records) else None
    return r[2].strip() == "SELECT $1" and nxt is not None and nxt[1] == "parameters" and nxt[2].strip() == "$1 = '1'"


records = [r for i, r in enumerate(records) if not is_ping(i) and not (i > 0 and r[1] == "parameters" and is_ping(i - 1))]
statements = [r for r in records if r[1] in ("execute", "statement") and "MARK" not in r[2]]
statements = [r for r in statements if "SKIP LOCKED" not in r[2]]
pids = {}
for r in statements:
    pids[r[0]] = pids.get(r[0], 0) + 1
if not pids:
    sys.exit(f"twins: no statements logged for {name}")
pid = max(pids, key=pids.get)

param = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")
steps = []  # (sql, {n: value or None})
for i, (p, kind, text) in enumerate(records):
    if p != pid or kind not in ("execute", "statement") or "SKIP LOCKED" in text:
        continue
    values = {}
    if i + 1 < len(records) and records[i + 1][0] == pid and records[i + 1][1] == "parameters":
        for n, raw in param.findall(records[i + 1][2]):
            values[int(n)] = None if raw == "NULL" else raw[1:-1].replace("''", "'")
    steps.append((text.strip(), values))

out, defs, seen, returned = [], [], set(), {}
for index, (sql, values) in enumerate(steps, start=1):
    if sql.upper() == "COMMIT":
        sql = "ROLLBACK"
    prelude = []
    insert = re.match(r'INSERT INTO "(\w+)" \(([^)]*)\) VALUES \(([^)]*)\)', sql)
    random_params = set()
    if insert:
        table = insert.group(1)
        columns = [c.strip().strip('"') for c in insert.group(2).split(",")]
        placeholders = [v.strip() for v in insert.group(3).split(",")]
        for column, placeholder in zip(columns, placeholders):
            if (table, column) in unique and placeholder.startswith("$"):
                random_params.add(int(placeholder[1:]))
    for n in sorted(values, reverse=True):   # $12 before $1
        value = values[n]
        if n in random_params:
            prelude.append(f"\\set u{index}p{n} random(1, 9223372036854775806)")
            target = f":u{index}p{n}"
        elif value is None:
            target = "NULL"
        elif value in returned:
            target = f":{returned[value]}"
        else:
            target = f":s{index}p{n}"
            defs.append(f"s{index}p{n}={value}")
        sql = re.sub(rf"\${n}(?!\d)", target, sql)
    # The first new UUID after an INSERT ... RETURNING is the id it returned.
    pending = [v for v in values.values() if v and UUID.match(v) and v not in seen]
    if out and out[-1][1] and pending:
        returned[pending[0]] = out[-1][1]
        out[-1] = (out[-1][0], None)
        # Re-map this statement's uses of the returned id.
        sql = re.sub(r":s%dp(\d+)" % index,
                     lambda m: f":{returned[pending[0]]}" if values[int(m.group(1))] == pending[0] else m.group(0), sql)
        defs[:] = [d for d in defs if not (d.startswith(f"s{index}p") and d.split("=", 1)[1] == pending[0])]
    seen.update(v for v in values.values() if v)
    gset = None
    if re.search(r"\bRETURNING\b", sql) and sql.upper().startswith("INSERT"):
        gset = f"ret{index}_id"
        text = "\n".join(prelude + [sql.rstrip(";") + f" \\gset ret{index}_"])
    else:
        text = "\n".join(prelude + [sql.rstrip(";") + ";"])
    out.append((text, gset))
out = [text for text, _ in out]

with open(twin_path, "w", encoding="utf-8") as f:
    f.write(f"-- Twin of the `{name}` scenario, written by bench/twins.py from PostgreSQL's statement log\n")
    f.write("-- of one real request (log_statement = 'all'): the handler's statements in order, with its\n")
    f.write("-- parameters as pgbench variables (values in the run's defs file). COMMIT became ROLLBACK.\n")
    f.write("\n".join(out) + "\n")
with open(defs_path, "w", encoding="utf-8") as f:
    f.write("\n".join(defs) + ("\n" if defs else ""))
print(f"{name}: {len(out)} statements from backend {pid}", file=sys.stderr)
