"""Renders the head of bench/RESULTS.md from bench/results/latest.json (prints Markdown).

Usage: python3 bench/readme_section.py [bench/results/latest.json] > section.md
The narrative after the targets (what was missed and why, what changed) is written by hand.
"""
import json
import sys

d = json.load(open(sys.argv[1] if len(sys.argv) > 1 else 'bench/results/latest.json'))
f = lambda v, n=1: '–' if v is None else f"{v:,.{n}f}"
by = {(r['scenario'], r['clients']): r for r in d['table']}
clients = d['matrix']['clients']
def ratios(scen, key='ratio'):
    return ' / '.join(f(by[(scen, c)][key], 2) for c in clients if (scen, c) in by)
def met(scen, target):
    vals = [by[(scen, c)]['ratio'] for c in clients if (scen, c) in by]
    ok = [c for c, v in zip(clients, vals) if v is not None and v >= target]
    if len(ok) == len(vals): return 'met at every client count'
    if not ok: return '**not met**'
    return 'met at ' + ', '.join(str(c) for c in ok) + ' clients, **not** at ' + ', '.join(str(c) for c in clients if c not in ok)
der = d['derived']
def dr(key):
    return ', '.join(f"×{x['rps_ratio']} ({x['clients']})" for x in der[key])
def dr_paired(key):
    return ', '.join(f"×{x['paired_rps_ratio']} ({x['clients']})" for x in der[key] if x.get('paired_rps_ratio') is not None)
lines = []
w = lines.append
w('## Performance')
w('')
w(f"Measured with `BENCH_FULL=1 bench/run` (the issue's full matrix) on {d['date'][:10]} (commit `{d['commit']}`, release build)")
w(f"on a **shared 2-core machine** ({d['machine']['cpu']}; load generator, server, PostgreSQL and pgbench share the two cores),")
w(f"against a **SYNTHETIC** data set (`bench/sql/synthetic.sql` + `synthetic_data.sql`: {d['data']['clinics']:,} clinics and {d['data']['packages']:,} packages made with")
w('`generate_series`, skewed across the 5 seeded countries, the 8 conditions and prices). Load generator:')
w(f"{d['load_generator']}. Matrix: clients {', '.join(map(str, clients))}, {d['matrix']['seconds_per_run']} s runs, {d['matrix']['rounds']} alternations of API and pgbench")
w('per scenario (odd rounds API then pgbench in the listed scenario order, even rounds pgbench then API in')
w('reverse order, so background drift on the shared machine favours neither side); medians of the three.')
w('"paired" is the median of each round\'s own API / pgbench ratio, a robustness check beside the headline')
w('ratio of medians. Every run and the twin checks are in `bench/results/latest.json`.')
w('')
w('**The database ceiling** is a pgbench twin of each request (`bench/sql/twins/*.sql`, `-n -M prepared')
w('-j 2`): after a warm-up (so a connection\'s session set-up is not taken for part of a request),')
w("`bench/run` turns on `log_statement = 'all'`, sends one real request between two marker statements,")
w('and `bench/twins.py` writes *every* statement that request ran, in order, with its parameters as')
w('pgbench variables (a write\'s COMMIT becomes ROLLBACK, an `INSERT … RETURNING id` is taken with')
w('`\\gset`, unique values are drawn per transaction). A second request and one run of the twin are then')
w('compared statement by statement in `pg_stat_statements` (same queryid, or the same text once')
w('parameters and literals are normalised): ' + ('all matched.' if all(t['match'] for t in d['twin_checks']) else 'SOME DID NOT MATCH.'))
w('The twin runs its statements one after another; the API pipelines independent reads.')
w('')
cpu = any(r.get('server_cpu_us_per_request') for r in d['table'])
w('| scenario | clients | API rps | pgbench tps | ratio | paired | API p99 ms | pgbench p99 ms | p99 ratio |' + (' server CPU µs / request |' if cpu else ''))
w('|---|---|---|---|---|---|---|---|---|' + ('---|' if cpu else ''))
for r in d['table']:
    w(f"| {r['scenario']} | {r['clients']} | {f(r['api_rps'])} | {f(r['pgbench_tps'])} | {f(r['ratio'], 2)} | {f(r.get('paired_ratio'), 2)} | {f(r['api_p99_ms'])} | {f(r['pgbench_p99_ms'])} | {f(r['p99_ratio'], 2)} |" + (f" {f(r.get('server_cpu_us_per_request'), 0)} |" if cpu else ''))
w('')
hp = d['half_peak_rate']
w(f"**p99 at half the peak rate** (target: API p99 ≤ 3 × pgbench p99 + 1 ms). Each database scenario's")
w("peak is its best API throughput above (median of the rounds, over the client counts); the API")
w(f"(`oha -q RATE --latency-correction`) and its twin (`pgbench -R RATE`) then both run at half that rate")
w(f"with {hp['clients']} clients, latency counted from each request's scheduled start on both sides, three")
w('alternations, medians:')
w('')
w('| scenario | rate/s | API p50 ms | API p99 ms | pgbench p99 ms | bound ms | met |')
w('|---|---|---|---|---|---|---|')
for r in hp['rows']:
    w(f"| {r['scenario']} | {f(r['rate_per_second'])} | {f(r['api_p50_ms'], 2)} | {f(r['api_p99_ms'], 2)} | {f(r['pgbench_p99_ms'], 2)} | {f(r['p99_bound_ms'], 2)} | {'yes' if r['met'] else '**no**'} |")
w('')
w('Against the issue\'s targets (ratios API / pgbench in one run, by client count ' + ' / '.join(map(str, clients)) + '):')
w('')
w(f"- by-id ≥ 0.5: {ratios('clinic_by_id')} — {met('clinic_by_id', 0.5)}.")
w(f"- lists ≥ 0.6: first page {ratios('clinics_list_first')} ({met('clinics_list_first', 0.6)}); deep page {ratios('clinics_list_deep')} ({met('clinics_list_deep', 0.6)}); packages {ratios('packages_list_eur')} ({met('packages_list_eur', 0.6)}).")
w(f"- search ≥ 0.8: {ratios('clinics_search')} — {met('clinics_search', 0.8)}.")
w(f"- quote creation ≥ 0.8: {ratios('quote_create')} — {met('quote_create', 0.8)}.")
w(f"- diesel-async ≥ 0.9 × raw tokio-postgres, the same one query and JSON (`examples/diesel_clinic_by_id.rs` vs `examples/raw_clinic_by_id.rs`): on the shared pipelined connections the catalogue reads use (2 per HTTP worker, for both handlers), {dr('diesel_over_raw_by_id')} (paired by round: {dr_paired('diesel_over_raw_by_id')}); on the pool (one connection per request), {dr('diesel_pool_over_raw_by_id')}. The full by-id handler / raw: {dr('handler_over_raw_by_id')} (it runs 4 statements and builds a 10-package document; the raw one runs 1 and returns 5 fields).")
w(f"- p99 at half the peak rate: " + ('met for every scenario.' if all(r['met'] for r in hp['rows']) else 'see the table.'))
dp = der['deep_over_first_page']
w(f"- deep page (page 51, reached through 50 tokens) / first page ≤ 1.3: p50 " + ', '.join(f"×{x['p50_ratio']} ({x['clients']})" for x in dp) + '; p99 ' + ', '.join(f"×{x['p99_ratio']} ({x['clients']})" for x in dp) + '.')
w(f"- peak RSS ≤ 150 MiB: server **{d['server_peak_rss_mib']} MiB** (`VmHWM` over the whole run, 64-client quote runs included); raw reference {d['raw_reference_peak_rss_mib']} MiB.")
w(f"- cold start ≤ 3 s (initdb + migrate + seed, until `/readyz` is 200): **{d['cold_start_seconds']} s**; warm start {d['warm_start_seconds']} s.")
cf = der.get('compressed_first_page') or []
if cf:
    w("- compressed first page (`Accept-Encoding: gzip, br`, docs/COMPRESSION.md) ≤ 25 % of identity bytes at ≤ 15 % extra server CPU: "
      + ', '.join(f"{x['bytes_compressed']:,.0f} of {x['bytes_identity']:,.0f} bytes (×{x['bytes_ratio']}), +{x['extra_cpu_us']} µs (×{x['extra_cpu_ratio']}) at {x['clients']} clients"
                  for x in cf if x['bytes_ratio'] is not None) + '.')
if cf:
    w("- compression's server CPU ≤ 15 % of the compressed request's (issue 22): "
      + ', '.join(f"×{x.get('extra_cpu_share_of_compressed')} at {x['clients']} clients" for x in cf) + '.')
ls = der.get('list_screen_over_full_list') or []
if ls:
    w("- list screen (`fields=`, docs/SPARSE_FIELDS.md) / full first page: server CPU per request ≤ 50 %, bytes ≤ 30 %: "
      + ', '.join(f"CPU ×{x['cpu_ratio']}, {x['bytes_screen']:,.0f} of {x['bytes_full']:,.0f} bytes (×{x['bytes_ratio']}) at {x['clients']} clients"
                  for x in ls if x['bytes_ratio'] is not None) + '.')
hz = [by[('healthz', c)]['api_rps'] for c in clients if ('healthz', c) in by]
w(f"- `GET /healthz` (the HTTP ceiling without the database): {f(min(hz), 0)}–{f(max(hz), 0)} rps. Debug builds are never measured.")
print('\n'.join(lines))
