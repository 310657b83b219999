'use strict'
// commitlog from Node vs better-sqlite3 and hypercore, in one run on the same values.
//
//   node bench.js            1,000,000 x 100-byte values
//   BENCH_QUICK=1 node bench.js   100,000 (hypercore: 50,000)
//
// - append: commitlog `append` one value per call (then one `sync`), better-sqlite3 INSERTs in
//   one transaction, hypercore `append` of arrays of 1000 values;
// - read: `read(offset)` vs a prepared `SELECT value ... WHERE id = ?`, same random order.
// Run by `make bench-node`, which installs this folder's own dependencies.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Log } = require('..')

const QUICK = process.env.BENCH_QUICK === '1'
const N = QUICK ? 100_000 : 1_000_000
const N_HYPERCORE = QUICK ? 50_000 : N
const VALUE_BYTES = 100
const HYPERCORE_BATCH = 1000

const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR || os.tmpdir(), 'commitlog-node-bench-'))
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }))

function value(i) {
  const v = Buffer.alloc(VALUE_BYTES, 0x61 + (i % 26))
  v.writeUInt32LE(i >>> 0, 0)
  return v
}
// A pool of distinct values, reused round-robin so the loop measures the stores, not allocation.
const pool = Array.from({ length: 1024 }, (_, i) => value(i))

function randomOrder(n) {
  const order = new Float64Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  let seed = 42
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    const j = seed % (i + 1)
    const t = order[i]
    order[i] = order[j]
    order[j] = t
  }
  return order
}

function time(fn) {
  const t0 = process.hrtime.bigint()
  const out = fn()
  return { secs: Number(process.hrtime.bigint() - t0) / 1e9, out }
}

async function timeAsync(fn) {
  const t0 = process.hrtime.bigint()
  const out = await fn()
  return { secs: Number(process.hrtime.bigint() - t0) / 1e9, out }
}

const rate = (n, secs) => n / secs
const fmt = (r) => `${(r / 1e6).toFixed(3)} M/s`.padStart(12)

function benchCommitlog(order) {
  const log = Log.open(path.join(root, 'commitlog'), { maxSegmentBytes: 256 * 1024 * 1024 })
  const append = time(() => {
    for (let i = 0; i < N; i++) log.append(pool[i & 1023])
    log.sync()
  })
  const read = time(() => {
    let bytes = 0
    for (let i = 0; i < N; i++) bytes += log.read(order[i]).length
    return bytes
  })
  if (read.out !== N * VALUE_BYTES) throw new Error('commitlog read returned wrong sizes')
  log.close()
  return { append: rate(N, append.secs), read: rate(N, read.secs) }
}

async function benchCommitlogIter() {
  const log = Log.open(path.join(root, 'commitlog'), { readOnly: true })
  const it = await timeAsync(async () => {
    let n = 0
    for await (const rec of log.iter()) n += rec.value.length > 0 ? 1 : 0
    return n
  })
  const asyncN = Math.min(N, 100_000)
  const asyncLog = Log.open(path.join(root, 'commitlog-async'))
  const appendAsync = await timeAsync(async () => {
    const window = []
    for (let i = 0; i < asyncN; i++) {
      window.push(asyncLog.appendAsync(pool[i & 1023]))
      if (window.length === 64) await Promise.all(window.splice(0))
    }
    await Promise.all(window)
  })
  asyncLog.close()
  log.close()
  if (it.out !== N) throw new Error(`iter saw ${it.out} of ${N}`)
  return { iter: rate(N, it.secs), appendAsync: rate(asyncN, appendAsync.secs) }
}

function benchSqlite(order) {
  let Database
  try {
    Database = require('better-sqlite3')
  } catch (err) {
    return { error: `better-sqlite3 not installed (${err.message.split('\n')[0]})` }
  }
  const db = new Database(path.join(root, 'sqlite.db'))
  db.pragma('journal_mode = WAL')
  db.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, value BLOB NOT NULL)')
  const insert = db.prepare('INSERT INTO log (id, value) VALUES (?, ?)')
  const append = time(() =>
    db.transaction(() => {
      for (let i = 0; i < N; i++) insert.run(i, pool[i & 1023])
    })(),
  )
  const select = db.prepare('SELECT value FROM log WHERE id = ?').pluck()
  const read = time(() => {
    let bytes = 0
    for (let i = 0; i < N; i++) bytes += select.get(order[i]).length
    return bytes
  })
  if (read.out !== N * VALUE_BYTES) throw new Error('sqlite read returned wrong sizes')
  db.close()
  return { append: rate(N, append.secs), read: rate(N, read.secs) }
}

async function benchHypercore() {
  let Hypercore
  try {
    Hypercore = require('hypercore')
  } catch (err) {
    return { error: `hypercore not installed (${err.message.split('\n')[0]})` }
  }
  const core = new Hypercore(path.join(root, 'hypercore'))
  await core.ready()
  const append = await timeAsync(async () => {
    for (let i = 0; i < N_HYPERCORE; i += HYPERCORE_BATCH) {
      const batch = []
      for (let j = i; j < Math.min(i + HYPERCORE_BATCH, N_HYPERCORE); j++) batch.push(pool[j & 1023])
      await core.append(batch)
    }
  })
  if (core.length !== N_HYPERCORE) throw new Error(`hypercore length ${core.length}`)
  await core.close()
  return { append: rate(N_HYPERCORE, append.secs) }
}

function ratio(a, b, target) {
  if (!a || !b) return 'n/a'
  const r = a / b
  return `${r.toFixed(1)}x (issue's target >= ${target}x: ${r >= target ? 'met' : 'NOT met'})`
}

async function main() {
  console.log(`node bench: ${N.toLocaleString()} x ${VALUE_BYTES}-byte values${QUICK ? ' (BENCH_QUICK)' : ''}, node ${process.version}`)
  const order = randomOrder(N)
  const cl = benchCommitlog(order)
  const more = await benchCommitlogIter()
  const sq = benchSqlite(order)
  const hc = await benchHypercore()

  console.log(`commitlog append (sync, 1 value/call)    ${fmt(cl.append)}`)
  console.log(`commitlog appendAsync (64 in flight)     ${fmt(more.appendAsync)}`)
  console.log(`commitlog read (random order)            ${fmt(cl.read)}`)
  console.log(`commitlog for await iter                 ${fmt(more.iter)}`)
  if (sq.error) console.log(`better-sqlite3: ${sq.error}`)
  else {
    console.log(`better-sqlite3 INSERT (one transaction)  ${fmt(sq.append)}`)
    console.log(`better-sqlite3 SELECT by id (random)     ${fmt(sq.read)}`)
  }
  if (hc.error) console.log(`hypercore: ${hc.error}`)
  else console.log(`hypercore append (arrays of ${HYPERCORE_BATCH})       ${fmt(hc.append)}  (${N_HYPERCORE.toLocaleString()} values)`)
  console.log(`ratio append commitlog / better-sqlite3: ${ratio(cl.append, sq.append, 5)}`)
  console.log(`ratio append commitlog / hypercore:      ${ratio(cl.append, hc.append, 50)}`)
  console.log(`ratio read   commitlog / better-sqlite3: ${ratio(cl.read, sq.read, 5)}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
