'use strict'
// Holes (damaged records that keep their offset), `log.recoveryReport` and `Log.repair`.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Log } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

const STORE_HEADER = 32
const RECORD_HEADER = 28
// 100-byte values: 128 bytes a record, 31 records a 4 KiB segment (bases 0, 31, 62, 93).
const VALUE_LEN = 100
const RECORD_LEN = RECORD_HEADER + VALUE_LEN
const PER_SEGMENT = 31
const RECORDS = 100
const SMALL = { maxSegmentBytes: 4096, maxIndexBytes: 4096 }

const valueOf = (offset) => Buffer.from(`record ${offset}`.padEnd(VALUE_LEN, '.'))
const storePath = (dir, base) => path.join(dir, `${String(base).padStart(20, '0')}.store`)
const isHole = (offset, segment) => (err) =>
  err instanceof Error &&
  err.code === 'ERR_SEGMENTLOG_HOLE' &&
  err.offset === offset &&
  err.segment === segment &&
  err.message.includes(`offset ${offset} is a hole`)

/** A closed log of RECORDS records in 4 KiB segments. */
function writeLog(t) {
  const dir = tmpLogDir(t)
  const log = Log.open(dir, SMALL)
  for (let i = 0; i < RECORDS; i++) assert.equal(log.append(valueOf(i)), i)
  log.close()
  return dir
}

/** Flips one byte in the middle of the value of record `offset` (segment `base`). */
function damage(dir, base, offset) {
  const at = STORE_HEADER + (offset - base) * RECORD_LEN + RECORD_HEADER + VALUE_LEN / 2
  const fd = fs.openSync(storePath(dir, base), 'r+')
  try {
    const b = Buffer.alloc(1)
    fs.readSync(fd, b, 0, 1, at)
    b[0] ^= 0x5a
    fs.writeSync(fd, b, 0, 1, at)
  } finally {
    fs.closeSync(fd)
  }
}

/** Steps an iterator to its end with next(), going on after each hole. */
async function walk(it, until = Infinity) {
  const offsets = []
  const holes = []
  for (;;) {
    let step
    try {
      step = await it.next()
    } catch (err) {
      holes.push(err)
      continue
    }
    if (step.done) break
    assert.ok(step.value.value.equals(valueOf(step.value.offset)), `record ${step.value.offset}`)
    offsets.push(step.value.offset)
    if (step.value.offset >= until) {
      await it.return()
      break
    }
  }
  return { offsets, holes }
}

const allBut = (hole) => Array.from({ length: RECORDS }, (_, i) => i).filter((i) => i !== hole)

test('a damaged record is a hole: reads throw ERR_SEGMENTLOG_HOLE, neighbours read', async (t) => {
  const dir = writeLog(t)
  damage(dir, 0, 5)
  const log = Log.open(dir, SMALL)
  t.after(() => log.close())
  assert.throws(() => log.read(5), isHole(5, 0))
  assert.throws(() => log.readRecord(5), isHole(5, 0))
  assert.throws(() => log.readMany([4, 5, 6]), isHole(5, 0))
  assert.throws(() => log.readInto(5, Buffer.alloc(VALUE_LEN), 0), isHole(5, 0))
  await assert.rejects(log.readAsync(5), isHole(5, 0))
  assert.ok(log.read(4).equals(valueOf(4)))
  assert.ok(log.read(6).equals(valueOf(6)))
  assert.equal(log.readMany([6, 4]).length, 2)
  assert.equal(log.nextOffset, RECORDS)
  assert.equal(log.lowestOffset, 0)
  assert.equal(log.append(Buffer.from('after')), RECORDS)
})

test('iteration reports a hole once and goes on after it; skipHoles skips it', async (t) => {
  const dir = writeLog(t)
  damage(dir, 0, 5)
  const log = Log.open(dir, SMALL)
  t.after(() => log.close())

  let { offsets, holes } = await walk(log.iter())
  assert.deepEqual(offsets, allBut(5))
  assert.equal(holes.length, 1)
  assert.ok(isHole(5, 0)(holes[0]))
  ;({ offsets, holes } = await walk(log.iter({ skipHoles: true })))
  assert.deepEqual(offsets, allBut(5))
  assert.deepEqual(holes, [])
  // A live tail reports it too, and goes on waiting after it.
  ;({ offsets, holes } = await walk(log.iter({ from: 3, live: true }), RECORDS - 1))
  assert.deepEqual(offsets, allBut(5).slice(3))
  assert.equal(holes.length, 1)
  // `for await` stops at the hole: the error surfaces.
  const seen = []
  await assert.rejects(async () => {
    for await (const rec of log.iter()) seen.push(rec.offset)
  }, isHole(5, 0))
  assert.deepEqual(seen, [0, 1, 2, 3, 4])
  assert.throws(() => log.iter({ skipHoles: 'yes' }), TypeError)
  assert.throws(() => log.cursor(0, 1), TypeError)
})

test('Log.repair names the hole; a dry run changes nothing; a writer locks it out', (t) => {
  const dir = writeLog(t)
  const hole = PER_SEGMENT + 3
  damage(dir, PER_SEGMENT, hole)
  const dry = Log.repair(dir, { dryRun: true })
  assert.equal(dry.recordsInHoles, 1)
  // Nothing was put into the quarantine: no item.
  assert.deepEqual(
    dry.events.filter((e) => e.kind === 'hole').map((e) => [e.firstOffset, e.quarantineId]),
    [[hole, null]],
  )
  assert.ok(!fs.existsSync(path.join(dir, 'quarantine')))

  const report = Log.repair(dir)
  assert.equal(report.recordsInHoles, 1)
  assert.equal(report.recordsCut, 0)
  assert.equal(report.isClean, false)
  assert.ok(report.bytesQuarantined >= RECORD_LEN)
  const holes = report.events.filter((e) => e.kind === 'hole')
  assert.equal(holes.length, 1)
  const e = holes[0]
  assert.equal(e.segment, PER_SEGMENT)
  assert.deepEqual([e.firstOffset, e.endOffset], [hole, hole + 1])
  assert.equal(e.position, STORE_HEADER + 3 * RECORD_LEN)
  assert.equal(e.bytes, RECORD_LEN)
  assert.equal(typeof e.quarantineId, 'number')
  assert.ok(e.reason.length > 0)
  assert.match(report.text, /1 in holes/)
  assert.match(report.text, /hole in segment 0+31/)
  assert.ok(fs.existsSync(path.join(dir, 'quarantine')))

  const log = Log.open(dir, SMALL)
  t.after(() => log.close())
  assert.throws(() => Log.repair(dir), (err) => err.code === 'ERR_SEGMENTLOG_LOCKED')
  assert.throws(() => log.read(hole), isHole(hole, PER_SEGMENT))
  assert.ok(log.read(hole - 1).equals(valueOf(hole - 1)))
  assert.ok(log.read(hole + 1).equals(valueOf(hole + 1)))
  assert.equal(log.nextOffset, RECORDS)
})

test('Log.repair arguments', (t) => {
  const dir = tmpLogDir(t)
  assert.throws(() => Log.repair(42), TypeError)
  assert.throws(() => Log.repair(dir, 'dry'), TypeError)
  assert.throws(() => Log.repair(dir, { dryRun: 1 }), TypeError)
  assert.throws(() => Log.repair(dir, { dryrun: true }), (e) => e.code === 'ERR_SEGMENTLOG_INVALID_ARGUMENT')
  assert.throws(() => Log.repair(dir), (e) => e.code === 'ERR_SEGMENTLOG_IO')
  Log.open(dir).close()
  for (const options of [undefined, null, {}, { dryRun: undefined }, { dryRun: false }, { dryRun: true }]) {
    const r = Log.repair(dir, options)
    assert.equal(r.isClean, true)
    assert.deepEqual(r.events, [])
  }
})

test('recoveryReport: an open after a crash names the hole; a clean open reports nothing', (t) => {
  const dir = writeLog(t)
  const base = 3 * PER_SEGMENT // the newest segment, which an open after a crash scans
  damage(dir, base, base + 2)
  fs.unlinkSync(path.join(dir, 'CLEAN'))
  let log = Log.open(dir, SMALL)
  const report = log.recoveryReport
  assert.equal(report.cleanShutdown, false)
  assert.equal(report.synced, true)
  assert.ok(report.segmentsScanned >= 1)
  assert.equal(report.recordsInHoles, 1)
  assert.deepEqual(
    report.events.filter((e) => e.kind === 'hole').map((e) => [e.segment, e.firstOffset, e.endOffset]),
    [[base, base + 2, base + 3]],
  )
  assert.equal(log.nextOffset, RECORDS)
  assert.throws(() => log.read(base + 2), isHole(base + 2, base))
  for (const o of allBut(base + 2)) assert.ok(log.read(o).equals(valueOf(o)), `record ${o}`)
  log.close()
  assert.equal(log.recoveryReport.recordsInHoles, 1, 'readable after close')

  log = Log.open(dir, SMALL)
  t.after(() => log.close())
  const clean = log.recoveryReport
  assert.equal(clean.cleanShutdown, true)
  assert.equal(clean.isClean, true)
  assert.deepEqual([clean.recordsInHoles, clean.recordsCut, clean.bytesQuarantined], [0, 0, 0])
  assert.deepEqual(clean.events, [])
  assert.match(clean.text, /^clean shutdown/)
})
