'use strict'
// segmentlog from Node beside better-sqlite3 and hypercore, on the same values (issue 7).
//
//   node bench.js                  1,000,000 x 100-byte values, 5 rounds
//   BENCH_QUICK=1 node bench.js    100,000 values, 3 rounds
//   (BENCH_ROUNDS=n overrides the number of rounds; `make bench-node` adds --expose-gc)
//
// The machine is shared and noisy: in each round every workload runs back to back with its
// baseline, and the ratios are taken round by round (median and min-max over the rounds); before
// each workload the page cache is written back and garbage collected (see `settle`):
//   * append:      segmentlog `append`, one value per call, then one `sync`, beside
//                  better-sqlite3 INSERTs in one transaction (its commit syncs the WAL);
//   * read:        segmentlog `read(offset)` (and `readMany` of 1000 offsets) beside a prepared
//                  `SELECT value ... WHERE id = ?`, over the same random sample of offsets
//                  (N / 4 of them);
//   * appendBatch: segmentlog `appendBatch` of arrays of 1000 values beside hypercore `append` of
//                  the same arrays (like for like: neither syncs; hypercore's RocksDB writes
//                  are not synced, and ours under sync=never survive a crash of the process).
// Also measured, without targets: `appendAsync` with 64 in flight, `for await` iteration, and
// single-value appends against hypercore's batches.
// Targets: append >= 5x better-sqlite3; read >= 5x better-sqlite3; appendBatch >= 50x hypercore.
//
// Prints a table and writes bench/results/node.json (schema in bench/README.md).
// Run by `make bench-node`, which installs this folder's own dependencies.
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Log } = require('..')

const QUICK = !['', '0', undefined].includes(process.env.BENCH_QUICK)
const N = QUICK ? 100_000 : 1_000_000
const READS = N / 4
const ROUNDS = +(process.env.BENCH_ROUNDS || (QUICK ? 3 : 5))
const ASYNC_N = Math.min(N, 100_000)
const VALUE_BYTES = 100
const BATCH = 1000
const RESULTS = path.resolve(__dirname, '..', '..', '..', 'bench', 'results', 'node.json')

const APPEND = 'append 100 B: segmentlog'
const SQLITE_INSERT = 'append 100 B: better-sqlite3 INSERT (one transaction)'
const READ = 'random read 100 B: segmentlog'
const SQLITE_READ = 'random read 100 B: better-sqlite3 SELECT by id'
const READ_MANY = 'random read 100 B: segmentlog readMany of 1000'
const BATCHED = `appendBatch ${BATCH} x 100 B: segmentlog`
const HYPERCORE = `append ${BATCH} x 100 B arrays: hypercore`
const APPEND_ASYNC = 'appendAsync 100 B, 64 in flight: segmentlog'
const ITER = 'for await iteration 100 B: segmentlog'
// [name, ours, baseline, target or null]
const RATIOS = [
  ['append: segmentlog / better-sqlite3', APPEND, SQLITE_INSERT, 5],
  ['read: segmentlog / better-sqlite3', READ, SQLITE_READ, 5],
  // No target: the same offsets, 1000 per call (a multi-get).
  ['readMany: segmentlog / better-sqlite3', READ_MANY, SQLITE_READ, null],
  ['appendBatch: segmentlog / hypercore (arrays of 1000)', BATCHED, HYPERCORE, 50],
  // No target: one value per call against hypercore's batches (what the issue first compared).
  ['append (one per call): segmentlog / hypercore (arrays of 1000)', APPEND, HYPERCORE, null],
]

function optional(name) {
  try {
    return require(name)
  } catch (err) {
    console.log(`${name} not installed (${String(err.message).split('\n')[0]}): its rows are skipped`)
    return null
  }
}
const Database = optional('better-sqlite3')
const Hypercore = optional('hypercore')

function value(i) {
  const v = Buffer.alloc(VALUE_BYTES, 0x61 + (i % 26))
  v.writeUInt32LE(i >>> 0, 0)
  return v
}
// A pool of distinct values, reused round-robin so the loops measure the stores, not allocation.
const pool = Array.from({ length: 1024 }, (_, i) => value(i))
const batches = []
for (let i = 0; i < N; i += BATCH) {
  const batch = []
  for (let j = i; j < Math.min(i + BATCH, N); j++) batch.push(pool[j & 1023])
  batches.push(batch)
}

/** READS distinct offsets below N in a fixed random order. */
function randomSample() {
  const order = new Float64Array(N)
  for (let i = 0; i < N; i++) order[i] = i
  let seed = 42
  for (let i = N - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    const j = seed % (i + 1)
    const t = order[i]
    order[i] = order[j]
    order[j] = t
  }
  return order.subarray(0, READS)
}

/**
 * Before each timed workload: write back what the previous ones left dirty (`sync`), so that no
 * workload pays for another's writeback (on ext4 a page fault of a mapped store, or a WAL
 * write, waits behind a journal commit), and collect garbage (`--expose-gc`).
 * BENCH_SETTLE_SYNC=0 leaves the writeback to the kernel.
 */
function settle() {
  if (process.env.BENCH_SETTLE_SYNC !== '0') execFileSync('sync')
  if (typeof global.gc === 'function') global.gc()
}

/** Operations per second of `fn` doing `n` operations. */
function rate(n, fn) {
  settle()
  const t0 = process.hrtime.bigint()
  const out = fn()
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  return { ops: n / secs, out }
}

async function rateAsync(n, fn) {
  settle()
  const t0 = process.hrtime.bigint()
  const out = await fn()
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  return { ops: n / secs, out }
}

async function oneRound(work, sample) {
  const ops = {}
  const openLog = (name, extra) =>
    Log.open(path.join(work, name), { maxSegmentBytes: 256 * 1024 * 1024, ...extra })

  // append, then better-sqlite3 INSERTs
  const log = openLog('segmentlog')
  ops[APPEND] = rate(N, () => {
    for (let i = 0; i < N; i++) log.append(pool[i & 1023])
    log.sync()
  }).ops
  let db = null
  if (Database) {
    db = new Database(path.join(work, 'sqlite.db'))
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, value BLOB NOT NULL)')
    const insert = db.prepare('INSERT INTO log (id, value) VALUES (?, ?)')
    ops[SQLITE_INSERT] = rate(N, () =>
      db.transaction(() => {
        for (let i = 0; i < N; i++) insert.run(i, pool[i & 1023])
      })(),
    ).ops
  }

  // random reads of the same offsets from both
  const read = rate(READS, () => {
    let bytes = 0
    for (let i = 0; i < READS; i++) bytes += log.read(sample[i]).length
    return bytes
  })
  if (read.out !== READS * VALUE_BYTES) throw new Error('segmentlog read returned wrong sizes')
  ops[READ] = read.ops
  const chunks = []
  for (let i = 0; i < READS; i += 1000) chunks.push(Array.from(sample.subarray(i, Math.min(READS, i + 1000))))
  const many = rate(READS, () => {
    let bytes = 0
    for (const chunk of chunks) for (const v of log.readMany(chunk)) bytes += v.length
    return bytes
  })
  if (many.out !== READS * VALUE_BYTES) throw new Error('segmentlog readMany returned wrong sizes')
  ops[READ_MANY] = many.ops
  if (db) {
    const select = db.prepare('SELECT value FROM log WHERE id = ?').pluck()
    const got = rate(READS, () => {
      let bytes = 0
      for (let i = 0; i < READS; i++) bytes += select.get(sample[i]).length
      return bytes
    })
    if (got.out !== READS * VALUE_BYTES) throw new Error('sqlite read returned wrong sizes')
    if (!log.read(sample[0]).equals(select.get(sample[0]))) throw new Error('values differ')
    ops[SQLITE_READ] = got.ops
    db.close()
  }
  log.close()

  // appendBatch, then hypercore append of the same arrays
  const blog = openLog('batched')
  // No sync on either side: hypercore's RocksDB batches are written without one, and ours under
  // sync=never likewise survive a crash of the process (not of the machine).
  ops[BATCHED] = rate(N, () => {
    for (const batch of batches) blog.appendBatch(batch)
  }).ops
  if (blog.nextOffset !== N) throw new Error(`appendBatch: nextOffset ${blog.nextOffset}`)
  blog.close()
  if (Hypercore) {
    const core = new Hypercore(path.join(work, 'hypercore'))
    await core.ready()
    ops[HYPERCORE] = (
      await rateAsync(N, async () => {
        for (const batch of batches) await core.append(batch)
      })
    ).ops
    if (core.length !== N) throw new Error(`hypercore length ${core.length}`)
    await core.close()
  }

  // without baselines: appendAsync and iteration
  const alog = openLog('async')
  ops[APPEND_ASYNC] = (
    await rateAsync(ASYNC_N, async () => {
      const window = []
      for (let i = 0; i < ASYNC_N; i++) {
        window.push(alog.appendAsync(pool[i & 1023]))
        if (window.length === 64) await Promise.all(window.splice(0))
      }
      await Promise.all(window)
    })
  ).ops
  alog.close()
  const ilog = openLog('segmentlog', { readOnly: true })
  const it = await rateAsync(N, async () => {
    let n = 0
    for await (const rec of ilog.iter()) n += rec.value.length > 0 ? 1 : 0
    return n
  })
  if (it.out !== N) throw new Error(`iter saw ${it.out} of ${N}`)
  ops[ITER] = it.ops
  ilog.close()
  return ops
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function entry(name, unit, samples) {
  return { name, unit, median: median(samples), min: Math.min(...samples), max: Math.max(...samples), runs: samples.length }
}

async function main() {
  const sample = randomSample()
  const base = process.env.BENCH_DIR || os.tmpdir()
  const rounds = []
  console.log(
    `node bench: ${N.toLocaleString()} values of ${VALUE_BYTES} bytes, ${READS.toLocaleString()} random reads, ` +
      `${ROUNDS} rounds${QUICK ? ' (BENCH_QUICK)' : ''}, node ${process.version} (median, min-max)`,
  )
  for (let r = 0; r < ROUNDS; r++) {
    const work = fs.mkdtempSync(path.join(base, 'segmentlog-node-bench-'))
    try {
      rounds.push(await oneRound(work, sample))
    } finally {
      fs.rmSync(work, { recursive: true, force: true })
    }
  }

  const results = []
  for (const name of Object.keys(rounds[0])) {
    const e = entry(name, 'ops/s', rounds.map((r) => r[name]))
    results.push(e)
    const range = `(${(e.min / 1e6).toFixed(3)}-${(e.max / 1e6).toFixed(3)})`
    console.log(`  ${name.padEnd(56)} ${(e.median / 1e6).toFixed(3).padStart(7)} M/s  ${range}`)
  }
  console.log('ratios, ours / baseline, round by round:')
  for (const [name, ours, baseline, target] of RATIOS) {
    if (!(ours in rounds[0]) || !(baseline in rounds[0])) continue
    const e = entry(name, 'x', rounds.map((r) => r[ours] / r[baseline]))
    Object.assign(e, { of: ours, baseline })
    let verdict = ''
    if (target !== null) {
      e.target = `>= ${target}`
      e.pass = e.median >= target
      verdict = `target >= ${target}: ${e.pass ? 'PASS' : 'MISS'}`
    }
    results.push(e)
    const range = `(${e.min.toFixed(2)}-${e.max.toFixed(2)})`
    console.log(`  ${name.padEnd(62)} ${e.median.toFixed(2).padStart(6)}x  ${range.padEnd(14)} ${verdict}`)
  }

  fs.mkdirSync(path.dirname(RESULTS), { recursive: true })
  const doc = { suite: 'node', quick: QUICK, unix_time: Math.floor(Date.now() / 1000), results }
  fs.writeFileSync(RESULTS, JSON.stringify(doc, null, 1) + '\n')
  console.log(`wrote ${RESULTS}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
