'use strict'
// `log.iter({ from, live })`: the async iterator for `for await`.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Log } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

test('iterates every record in order, across fetch batches, and ends at the end', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const n = 1000
  log.appendBatch(Array.from({ length: n }, (_, i) => Buffer.from(`r${i}`)))
  const seen = []
  for await (const rec of log.iter()) {
    assert.equal(rec.value.toString(), `r${rec.offset}`)
    assert.equal(typeof rec.timestamp, 'number')
    seen.push(rec.offset)
  }
  assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i))
})

test('large values come through intact across fetches, each value its own bytes', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const values = Array.from({ length: 12 }, (_, i) => Buffer.alloc(300_000 + i, i + 1))
  for (const v of values) log.append(v)
  const seen = []
  for await (const rec of log.iter()) seen.push(rec.value)
  assert.equal(seen.length, values.length)
  seen.forEach((v, i) => assert.ok(v.equals(values[i]), `value ${i}`))
})

test('from starts at an offset; an empty log yields nothing', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const none = []
  for await (const rec of log.iter()) none.push(rec)
  assert.deepEqual(none, [])
  log.appendBatch(['a', 'b', 'c', 'd'].map((s) => Buffer.from(s)))
  const seen = []
  for await (const rec of log.iter({ from: 2 })) seen.push(rec.value.toString())
  assert.deepEqual(seen, ['c', 'd'])
})

test('a position below the lowest offset rejects with ERR_SEGMENTLOG_OUT_OF_RANGE', async (t) => {
  const log = Log.open(tmpLogDir(t), { initialOffset: 10 })
  t.after(() => log.close())
  log.append(Buffer.from('x'))
  const it = log.iter({ from: 3 })
  await assert.rejects(it.next(), (e) => e.code === 'ERR_SEGMENTLOG_OUT_OF_RANGE')
  assert.deepEqual(await it.next(), { value: undefined, done: true })
})

test('bad iter options are TypeErrors/RangeErrors', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  assert.throws(() => log.iter('from 0'), TypeError)
  assert.throws(() => log.iter({ from: '0' }), TypeError)
  assert.throws(() => log.iter({ live: 'yes' }), TypeError)
  assert.throws(() => log.iter({ from: -1 }), RangeError)
})

test('live iteration yields records appended later, without polling', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.append(Buffer.from('before'))
  const seen = []
  const consumer = (async () => {
    for await (const rec of log.iter({ live: true })) {
      seen.push(rec.value.toString())
      if (seen.length === 4) break
    }
  })()
  await sleep(50)
  log.append(Buffer.from('a'))
  await sleep(30)
  log.appendBatch([Buffer.from('b'), Buffer.from('c')])
  await consumer
  assert.deepEqual(seen, ['before', 'a', 'b', 'c'])
})

test('close() ends a live iteration cleanly', async (t) => {
  const log = Log.open(tmpLogDir(t))
  log.append(Buffer.from('one'))
  const seen = []
  const consumer = (async () => {
    for await (const rec of log.iter({ live: true })) seen.push(rec.value.toString())
    return 'ended'
  })()
  await sleep(50)
  const closedAt = Date.now()
  log.close()
  assert.equal(await consumer, 'ended')
  assert.ok(Date.now() - closedAt < 1000)
  assert.deepEqual(seen, ['one'])
})

test('return() while a live next() is pending settles both promptly', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const it = log.iter({ live: true })
  const pending = it.next()
  await sleep(20)
  const t0 = Date.now()
  assert.deepEqual(await it.return(), { value: undefined, done: true })
  assert.deepEqual(await pending, { value: undefined, done: true })
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`)
  assert.deepEqual(await it.next(), { value: undefined, done: true })
})

test('next() calls made without awaiting are served in order', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const it = log.iter({ live: true })
  const promises = [it.next(), it.next(), it.next()]
  log.append(Buffer.from('0'))
  await sleep(10)
  log.append(Buffer.from('1'))
  log.append(Buffer.from('2'))
  const results = await Promise.all(promises)
  assert.deepEqual(
    results.map((r) => r.value.offset),
    [0, 1, 2],
  )
  await it.return()
})

test('a non-live iterator created on a closed log throws ERR_SEGMENTLOG_CLOSED', (t) => {
  const log = Log.open(tmpLogDir(t))
  log.close()
  assert.throws(() => log.iter(), (e) => e.code === 'ERR_SEGMENTLOG_CLOSED')
})
