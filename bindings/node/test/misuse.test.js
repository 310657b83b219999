'use strict'
// Misuse from JavaScript (reliability campaign, docs/RELIABILITY.md): closing while many
// Promises are pending, iterators that outlive their log, detached and odd
// buffers, huge numbers and batches. Every case ends in a value or a typed error — never a
// crash of the process, never a Promise that stays pending.
const fs = require('node:fs')
const path = require('node:path')
const test = require('node:test')
const assert = require('node:assert/strict')
const { Log } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

const TYPED_CODES = new Set([
  'ERR_SEGMENTLOG_OUT_OF_RANGE',
  'ERR_SEGMENTLOG_CORRUPT',
  'ERR_SEGMENTLOG_CLOSED',
  'ERR_SEGMENTLOG_LOCKED',
  'ERR_SEGMENTLOG_INVALID_ARGUMENT',
  'ERR_SEGMENTLOG_IO',
  'ERR_INVALID_ARG_TYPE',
  'ERR_OUT_OF_RANGE',
])
const typed = (err) => err instanceof Error && TYPED_CODES.has(err.code)
const closed = (err) => err instanceof Error && err.code === 'ERR_SEGMENTLOG_CLOSED'

/** Runs `fn`; it must return or throw a typed error. */
function valueOrTyped(fn) {
  try {
    return fn()
  } catch (err) {
    assert.ok(typed(err), `untyped error: ${err && err.stack}`)
    return undefined
  }
}

test('close while hundreds of async calls of every kind are pending: all settle, typed', async (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir, { sync: 'always', maxSegmentBytes: 64 * 1024 })
  log.append(Buffer.from('seed'))
  const pending = []
  const appends = []
  for (let i = 0; i < 200; i++) {
    const p = log.appendAsync(Buffer.alloc(100, i))
    appends.push(p.then((off) => ({ off, i }), () => null))
    pending.push(p)
    pending.push(log.appendBatchAsync([Buffer.from('a'), Buffer.from('b')]))
    pending.push(log.readAsync(0))
    pending.push(log.syncAsync())
  }
  log.close()
  const results = await Promise.allSettled(pending)
  for (const r of results) {
    if (r.status === 'rejected') assert.ok(closed(r.reason) || typed(r.reason), String(r.reason))
  }
  // Whatever settled as appended is really there after reopening.
  const again = Log.open(dir)
  t.after(() => again.close())
  for (const a of await Promise.all(appends)) {
    if (a) assert.ok(again.read(a.off).equals(Buffer.alloc(100, a.i)), `offset ${a.off}`)
  }
})

test('iterators outlive their log: they end or reject with CLOSED, never crash', async (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir)
  log.appendBatch([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')])
  const it = log.iter({ from: 0 })
  const first = await it.next()
  assert.equal(first.value.value.toString(), 'a')
  const live = log.iter({ from: 3, live: true })
  const waiting = live.next().then((v) => ({ v }), (e) => ({ e }))
  log.close()
  // A pending live wait settles: done, or CLOSED.
  const w = await waiting
  assert.ok(w.e ? closed(w.e) : w.v.done, 'a pending live next() ends with done or CLOSED')
  // The other iterator may yield what it had fetched, then ends or rejects with CLOSED.
  const got = []
  for (;;) {
    const r = await it.next().then((v) => ({ v }), (e) => ({ e }))
    if (r.e) {
      assert.ok(closed(r.e), String(r.e))
      break
    }
    if (r.v.done) break
    got.push(r.v.value.value.toString())
    assert.ok(got.length <= 2, 'no more than the records it had')
  }
  assert.ok(['', 'b', 'bc'].includes(got.join('')), `got ${got}`)
  await it.return()
  await live.return()
  // The directory is free again: the iterators hold nothing.
  const again = Log.open(dir)
  assert.equal(again.nextOffset, 3)
  again.close()
})

test('close from inside a for await loop ends the loop', async (t) => {
  const log = Log.open(tmpLogDir(t))
  for (let i = 0; i < 100; i++) log.append(Buffer.from(String(i)))
  let seen = 0
  try {
    for await (const rec of log.iter({ from: 0 })) {
      seen++
      if (rec.offset === 10) log.close()
    }
  } catch (err) {
    assert.ok(closed(err), String(err))
  }
  assert.ok(seen >= 11)
})

test('detached, shared and odd buffers', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const ab = new ArrayBuffer(16)
  const view = new Uint8Array(ab)
  structuredClone(ab, { transfer: [ab] }) // detaches ab: the view is now empty
  const off = valueOrTyped(() => log.append(view))
  if (off !== undefined) assert.equal(log.read(off).length, 0)
  const shared = new Uint8Array(new SharedArrayBuffer(8)).fill(7)
  const off2 = valueOrTyped(() => log.append(shared))
  if (off2 !== undefined) assert.deepEqual([...log.read(off2)], [7, 7, 7, 7, 7, 7, 7, 7])
  for (const bad of [new Uint16Array(4), new DataView(new ArrayBuffer(4)), [1, 2], 'str', null, undefined, {}, 42n]) {
    valueOrTyped(() => log.append(bad))
  }
  valueOrTyped(() => log.appendBatch([Buffer.from('a'), , Buffer.from('c')])) // eslint-disable-line no-sparse-arrays
  valueOrTyped(() => log.appendBatch({ length: 2, 0: Buffer.from('a'), 1: Buffer.from('b') }))
  valueOrTyped(() => log.appendBatch(new Array(3)))
})

test('huge numbers: offsets, timestamps, options and batches', (t) => {
  const log = Log.open(tmpLogDir(t), { maxSegmentBytes: 64 * 1024 })
  t.after(() => log.close())
  log.append(Buffer.from('a'))
  for (const n of [2 ** 53, 2 ** 64, Number.MAX_VALUE, Infinity, -Infinity, NaN, -1, 1.5]) {
    valueOrTyped(() => log.read(n))
    valueOrTyped(() => log.readRecord(n))
    valueOrTyped(() => log.offsetAtTime(n))
    valueOrTyped(() => log.truncateBack(n))
    valueOrTyped(() => log.iter({ from: n }))
  }
  assert.equal(log.read(0).toString(), 'a')
  // A batch larger than a segment is refused whole.
  const before = log.nextOffset
  assert.throws(() => log.appendBatch(Array.from({ length: 2000 }, () => Buffer.alloc(100))), (e) => e.code === 'ERR_SEGMENTLOG_INVALID_ARGUMENT')
  assert.equal(log.nextOffset, before)
  // Many empty values in one batch are fine when they fit.
  const r = log.appendBatch(Array.from({ length: 1000 }, () => Buffer.alloc(0)))
  assert.equal(r.next - r.first, 1000)
  for (const opts of [{ maxSegmentBytes: 2 ** 64 }, { maxSegmentBytes: -1 }, { initialOffset: 2 ** 64 }, { sync: -5 }, { retentionBytes: NaN }]) {
    valueOrTyped(() => Log.open(tmpLogDir(t), opts).close())
  }
})

test('open, append, close twice in a loop; a closed handle stays closed', async (t) => {
  const dir = tmpLogDir(t)
  for (let i = 0; i < 20; i++) {
    const log = Log.open(dir)
    log.append(Buffer.from(String(i)))
    log.close()
    log.close()
  }
  const log = Log.open(dir)
  assert.equal(log.nextOffset, 20)
  log.close()
  assert.throws(() => log.append(Buffer.from('x')), closed)
})

test('the internal readManyInto refuses a target and lengths that share memory', (t) => {
  // index.js always passes two buffers of its own; a caller that reached the addon's internal
  // functions with two views of one ArrayBuffer must get an error, not two aliased `&mut`
  // slices (src/fast.rs).
  const dir = path.join(__dirname, '..')
  const addon = fs.readdirSync(dir).find((f) => /^segmentlog\..+\.node$/.test(f))
  if (!addon) return t.skip('no locally built addon (an installed package test)')
  const { fast } = require(path.join(dir, addon))
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.append(Buffer.from('abcd'))
  const handle = fast.handle(log)
  const offsets = new Float64Array([0])
  const shared = new ArrayBuffer(64)
  assert.throws(
    () => fast.readManyInto(handle, offsets, 1, new Uint8Array(shared, 0, 32), new Uint32Array(shared, 16, 4)),
    (err) => err.code === 'ERR_SEGMENTLOG_INVALID_ARGUMENT' && /share memory/.test(err.message),
  )
  // Views of one ArrayBuffer that do not overlap are fine.
  const lengths = new Uint32Array(shared, 32, 4)
  assert.equal(fast.readManyInto(handle, offsets, 1, new Uint8Array(shared, 0, 32), lengths), 4)
  assert.equal(lengths[0], 4)
  assert.equal(Buffer.from(shared, 0, 4).toString(), 'abcd')
})
