'use strict'
// The Promise forms: they run on libuv's pool and settle with the same values and error codes
// as the synchronous methods.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Log } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

const code = (c) => (err) => err instanceof Error && err.code === c

test('appendAsync, appendBatchAsync, readAsync and syncAsync', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const p = log.appendAsync(Buffer.from('first'))
  assert.ok(p instanceof Promise)
  assert.equal(await p, 0)
  assert.deepEqual(await log.appendBatchAsync([Buffer.from('b'), new Uint8Array([67])]), { first: 1, next: 3 })
  const value = await log.readAsync(2)
  assert.ok(Buffer.isBuffer(value))
  assert.equal(value.toString(), 'C')
  assert.equal((await log.readAsync(0)).toString(), 'first')
  assert.equal(await log.syncAsync(), undefined)
  assert.equal(log.nextOffset, 3)
})

test('appendAsync copies the value: changing the buffer afterwards changes nothing', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const buf = Buffer.from('original')
  const p = log.appendAsync(buf)
  buf.fill(0)
  const off = await p
  assert.equal(log.read(off).toString(), 'original')
})

test('many concurrent appendAsync get distinct offsets and all values are readable', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const n = 200
  const offsets = await Promise.all(
    Array.from({ length: n }, (_, i) => log.appendAsync(Buffer.from(`v${i}`))),
  )
  assert.deepEqual([...offsets].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i))
  const values = await Promise.all(offsets.map((o) => log.readAsync(o)))
  values.forEach((v, i) => assert.equal(v.toString(), `v${i}`))
})

test('async errors reject with the same codes', async (t) => {
  const log = Log.open(tmpLogDir(t))
  log.append(Buffer.from('x'))
  await assert.rejects(log.readAsync(5), code('ERR_SEGMENTLOG_OUT_OF_RANGE'))
  log.close()
  await assert.rejects(log.appendAsync(Buffer.from('y')), code('ERR_SEGMENTLOG_CLOSED'))
  await assert.rejects(log.appendBatchAsync([Buffer.from('y')]), code('ERR_SEGMENTLOG_CLOSED'))
  await assert.rejects(log.readAsync(0), code('ERR_SEGMENTLOG_CLOSED'))
  await assert.rejects(log.syncAsync(), code('ERR_SEGMENTLOG_CLOSED'))
})

test('a close while appends are in flight: each promise settles, none hangs', async (t) => {
  const log = Log.open(tmpLogDir(t))
  const pending = Array.from({ length: 50 }, (_, i) => log.appendAsync(Buffer.from(`v${i}`)))
  log.close()
  const results = await Promise.allSettled(pending)
  for (const r of results) {
    if (r.status === 'rejected') assert.equal(r.reason.code, 'ERR_SEGMENTLOG_CLOSED')
    else assert.equal(typeof r.value, 'number')
  }
})

test('argument errors of the async forms are thrown at the call', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  assert.throws(() => log.appendAsync('text'), TypeError)
  assert.throws(() => log.appendBatchAsync([null]), TypeError)
  assert.throws(() => log.readAsync('0'), TypeError)
  assert.throws(() => log.readAsync(-1), RangeError)
})
