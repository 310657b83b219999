'use strict'
// Named durable cursors: log.namedCursor / openNamedCursor / cursorNames / deleteCursor.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Log, NamedCursor } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

function filled(t, n, options) {
  const dir = tmpLogDir(t)
  const log = Log.open(dir, options)
  t.after(() => log.close())
  if (n > 0) log.appendBatch(Array.from({ length: n }, (_, i) => Buffer.from(`r${i}`)))
  return { dir, log }
}

test('a consumer resumes where it committed', async (t) => {
  const { log } = filled(t, 10)
  const c = log.namedCursor('orders')
  assert.ok(c instanceof NamedCursor)
  assert.equal(c.name, 'orders')
  assert.equal(c.created, true)
  const seen = []
  for await (const rec of c.iter()) {
    seen.push(rec.offset)
    if (rec.offset === 3) {
      c.commit(rec.offset + 1)
      break
    }
  }
  assert.deepEqual(seen, [0, 1, 2, 3])
  const again = log.namedCursor('orders', 'next') // exists: the start is ignored
  assert.equal(again.created, false)
  const p = again.position()
  assert.deepEqual(
    [p.name, p.committed, p.resume, p.skipped, p.lag, p.commits],
    ['orders', 4, 4, 0, 6, 2],
  )
  assert.ok(p.committedAtMs > 0)
  await again.commitAsync(9)
  assert.equal(c.position().committed, 9)
})

test('every start, and bad starts and names', (t) => {
  const { log } = filled(t, 5)
  assert.equal(log.namedCursor('a', 'lowest').position().committed, 0)
  assert.equal(log.namedCursor('b', 'next').position().committed, 5)
  assert.equal(log.namedCursor('c', 3).position().committed, 3)
  assert.equal(log.namedCursor('d', undefined, 0).position().committed, 0)
  assert.equal(log.namedCursor('e', null, 2 ** 52).position().committed, 5)
  const code = (c) => (e) => e.code === c
  assert.throws(() => log.namedCursor('f', 6), code('ERR_SEGMENTLOG_OUT_OF_RANGE'))
  assert.throws(() => log.namedCursor('f', -1), code('ERR_SEGMENTLOG_OUT_OF_RANGE'))
  assert.throws(() => log.namedCursor('f', 'newest'), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  assert.throws(() => log.namedCursor('f', 1, 0), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  assert.throws(() => log.namedCursor(7), TypeError)
  for (const bad of ['', '.x', 'a/b', 'a b', 'x'.repeat(129)]) {
    assert.throws(() => log.namedCursor(bad), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'), bad)
  }
  assert.deepEqual(log.cursorNames(), ['a', 'b', 'c', 'd', 'e'])
})

test('a read-only consumer commits its own position', (t) => {
  const { dir, log } = filled(t, 4)
  const reader = Log.open(dir, { readOnly: true })
  reader.namedCursor('reader').commit(2)
  reader.close()
  assert.equal(log.openNamedCursor('reader').position().committed, 2)
})

test('commit bounds; delete; not found', async (t) => {
  const { log } = filled(t, 4)
  const c = log.namedCursor('c')
  assert.throws(() => c.commit(5), (e) => e.code === 'ERR_SEGMENTLOG_OUT_OF_RANGE' && e instanceof RangeError)
  await assert.rejects(c.commitAsync(5), (e) => e.code === 'ERR_SEGMENTLOG_OUT_OF_RANGE')
  c.commit(1)
  log.deleteCursor('c')
  assert.deepEqual(log.cursorNames(), [])
  const notFound = (e) => e.code === 'ERR_SEGMENTLOG_NOT_FOUND' && /"c"/.test(e.message)
  assert.throws(() => c.position(), notFound)
  assert.throws(() => c.commit(0), notFound)
  await assert.rejects(c.commitAsync(0), notFound)
  assert.throws(() => log.openNamedCursor('c'), notFound)
  assert.throws(() => log.deleteCursor('c'), notFound)
})

test('for await over a cursor tails from where it resumes', async (t) => {
  const { log } = filled(t, 2)
  const c = log.namedCursor('tail', 'next')
  setTimeout(() => log.append(Buffer.from('late')), 20)
  for await (const rec of c) {
    assert.equal(rec.offset, 2)
    assert.equal(rec.value.toString(), 'late')
    c.commit(rec.offset + 1)
    break
  }
  assert.equal(c.position().committed, 3)
})

test('records dropped before processing are reported', (t) => {
  const { log } = filled(t, 0, { maxSegmentBytes: 4096 })
  const c = log.namedCursor('slow')
  for (let i = 0; i < 500; i++) log.append(Buffer.from(`record ${i}`))
  log.truncateFront(300)
  const p = c.position()
  assert.equal(p.committed, 0)
  assert.ok(p.resume === log.lowestOffset && p.resume > 0)
  assert.equal(p.skipped, p.resume)
})

test('retention waits for a cursor up to retentionCursorCapBytes', (t) => {
  const { log } = filled(t, 0, {
    maxSegmentBytes: 4096,
    retentionBytes: 3 * 4096,
    retentionCursorCapBytes: 12 * 4096,
  })
  const c = log.namedCursor('slow')
  const fill = (n) => {
    for (let i = 0; i < n; i++) log.append(Buffer.from(String(i).padStart(200, '0')))
  }
  fill(150)
  assert.equal(log.lowestOffset, 0) // held for the cursor, within the cap
  fill(300)
  const p = c.position()
  assert.ok(p.skipped > 0 && p.resume === log.lowestOffset) // past the cap: dropped anyway
})

const code = (c) => (e) => e.code === c

test('autoCommit commits what was processed, every N records', async (t) => {
  const { log } = filled(t, 10)
  const c = log.namedCursor('auto')
  assert.throws(() => c.autoCommit(0), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  assert.throws(() => c.autoCommit('3'), { name: 'TypeError' })
  const seen = []
  for await (const rec of c.autoCommit(3)) {
    seen.push(rec.offset)
    if (rec.offset === 6) break // 0..=5 counted as processed (asking for 6 counted 5)
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6])
  assert.equal(c.position().committed, 6)
  // Resumes at the first record not committed: 6 comes again (at least once).
  const records = c.autoCommit(100)
  const again = []
  for await (const rec of records) again.push(rec.offset)
  assert.deepEqual(again, [6, 7, 8, 9])
  assert.equal(c.position().committed, 6)
  await records.commit()
  assert.equal(c.position().committed, 10)
  assert.equal(c.position().lag, 0)
  const commits = c.position().commits
  await records.commit() // nothing new: no second commit
  assert.equal(c.position().commits, commits)
})

test('autoCommit serves next() calls in order and tails when live', async (t) => {
  const { log } = filled(t, 4)
  const c = log.namedCursor('live')
  const records = c.autoCommit(1, { live: true })
  const firstFour = await Promise.all([records.next(), records.next(), records.next(), records.next()])
  assert.deepEqual(
    firstFour.map((r) => r.value.offset),
    [0, 1, 2, 3],
  )
  assert.equal(c.position().committed, 3)
  const pending = records.next() // counts 3, commits 4, then waits for a record
  setTimeout(() => log.append(Buffer.from('late')), 20)
  const late = await pending
  assert.equal(late.value.value.toString(), 'late')
  assert.equal(c.position().committed, 4)
  await records.return()
})

test('autoCommit after close rejects the commit that is due', async (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir)
  log.appendBatch([Buffer.from('a'), Buffer.from('b')])
  const records = log.namedCursor('closing').autoCommit(1)
  assert.equal((await records.next()).value.offset, 0)
  log.close()
  await assert.rejects(records.next(), code('ERR_SEGMENTLOG_CLOSED'))
  await assert.rejects(records.commit(), code('ERR_SEGMENTLOG_CLOSED'))
})
