'use strict'
// The synchronous API: every method's behaviour, the options, and typed errors.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Log } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

const code = (c) => (err) => err instanceof Error && err.code === c
const typeError = (err) => err instanceof TypeError && err.code === 'ERR_INVALID_ARG_TYPE'
const rangeError = (err) => err instanceof RangeError && err.code === 'ERR_OUT_OF_RANGE'
// A number that can be no offset is OUT_OF_RANGE, as an offset past the log's end is (and as
// Python's OffsetOutOfRangeError for the same int): a RangeError with the log's code.
const offsetError = (err) => err instanceof RangeError && err.code === 'ERR_SEGMENTLOG_OUT_OF_RANGE'

test('append returns consecutive offsets and read returns the bytes', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  assert.equal(log.append(Buffer.from('hello')), 0)
  assert.equal(log.append(new Uint8Array([1, 2, 3])), 1)
  assert.equal(log.append(Buffer.alloc(0)), 2)
  // A view into a larger buffer appends only the view's bytes.
  const big = Buffer.from('xxabcxx')
  assert.equal(log.append(big.subarray(2, 5)), 3)
  assert.ok(Buffer.isBuffer(log.read(0)))
  assert.equal(log.read(0).toString(), 'hello')
  assert.deepEqual([...log.read(1)], [1, 2, 3])
  assert.equal(log.read(2).length, 0)
  assert.equal(log.read(3).toString(), 'abc')
  assert.equal(log.lowestOffset, 0)
  assert.equal(log.nextOffset, 4)
})

test('values read earlier stay intact while many more are read (pooled read memory)', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const sizes = [0, 1, 7, 100, 5000, 9000, 20_000, 65_536, 70_000]
  const values = []
  for (let i = 0; i < 400; i++) {
    const v = Buffer.alloc(sizes[i % sizes.length], i & 0xff)
    values.push(v)
    log.append(v)
  }
  const reads = values.map((_, i) => log.read(i))
  reads.forEach((r, i) => assert.ok(r.equals(values[i]), `value ${i} (${values[i].length} bytes)`))
  // Writing into one returned value does not touch another.
  reads[3].fill(0xee)
  assert.ok(reads[12].equals(values[12]))
})

test('readInto copies into a caller buffer, or reports the size it needs', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.append(Buffer.from('hello'))
  const target = Buffer.alloc(8, 0x2e)
  assert.equal(log.readInto(0, target, 2), 5)
  assert.equal(target.toString(), '..hello.')
  const small = Buffer.alloc(4, 0x2e)
  assert.equal(log.readInto(0, small, 0), -6)
  assert.equal(small.toString(), '....')
  assert.throws(() => log.readInto(0, small, 5), RangeError)
  assert.throws(() => log.readInto(0, 'buffer', 0), TypeError)
  assert.throws(() => log.readInto(1, target, 0), (e) => e.code === 'ERR_SEGMENTLOG_OUT_OF_RANGE')
})

test('a large value round-trips', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const value = Buffer.alloc(3 * 1024 * 1024)
  for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff
  const off = log.append(value)
  assert.ok(log.read(off).equals(value))
})

test('readMany returns what read returns, in the order asked, across segments', (t) => {
  const log = Log.open(tmpLogDir(t), { maxSegmentBytes: 4096 })
  t.after(() => log.close())
  const sizes = [0, 1, 7, 100, 300, 1000]
  const values = []
  for (let i = 0; i < 500; i++) {
    const v = Buffer.alloc(sizes[i % sizes.length], i & 0xff)
    values.push(v)
    log.append(v)
  }
  const offsets = []
  for (let i = 0; i < 3000; i++) offsets.push((i * 7919) % 500)
  offsets.push(5, 5)
  const got = log.readMany(offsets)
  assert.equal(got.length, offsets.length)
  got.forEach((v, i) => {
    assert.ok(Buffer.isBuffer(v))
    assert.deepEqual(v, values[offsets[i]], `offsets[${i}] = ${offsets[i]}`)
  })
  assert.deepEqual(log.readMany([]), [])
  // More offsets than the arrays kept between calls hold.
  const many = log.readMany(new Array(70_000).fill(4))
  assert.equal(many.length, 70_000)
  assert.ok(many.every((v) => v.equals(values[4])))
  assert.deepEqual(log.readMany([5, 3]), [values[5], values[3]])
  // Values larger than the last call's guess take a second, exact-size call.
  const big = Buffer.alloc(3000, 7)
  const at = log.append(big)
  assert.deepEqual(log.readMany([0, at, 1]), [values[0], big, values[1]])
  // The same through the native method (a Float64Array is not an array: no fast path).
  assert.throws(() => log.readMany(new Float64Array([1])), typeError)
})

test('readMany throws the first error and checks its offsets like read', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.appendBatch([Buffer.from('a'), Buffer.from('b')])
  assert.throws(() => log.readMany([0, 1, 2, 0]), (err) => {
    return err.code === 'ERR_SEGMENTLOG_OUT_OF_RANGE' && /2/.test(err.message)
  })
  for (const bad of [-1, 0.5, NaN, 2 ** 53]) {
    assert.throws(() => log.readMany([0, bad]), offsetError, `readMany([0, ${bad}])`)
  }
  for (const bad of ['0', null, undefined, {}, 1n]) {
    assert.throws(() => log.readMany([0, bad]), typeError, `readMany([0, ${String(bad)}])`)
  }
  for (const bad of [0, '0,1', null, undefined, { length: 1, 0: 0 }]) {
    assert.throws(() => log.readMany(bad), typeError, `readMany(${String(bad)})`)
  }
  // An element getter that calls readMany again meanwhile: both get the right values.
  const tricky = [0, 1]
  Object.defineProperty(tricky, 1, { get: () => (log.readMany([0])[0].toString() === 'a' ? 1 : 0) })
  assert.deepEqual(log.readMany(tricky).map(String), ['a', 'b'])
})

test('appendBatch appends all values and returns {first, next}', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.append(Buffer.from('a'))
  assert.deepEqual(log.appendBatch([Buffer.from('b'), new Uint8Array([99]), Buffer.from('d')]), {
    first: 1,
    next: 4,
  })
  assert.deepEqual(
    [1, 2, 3].map((o) => log.read(o).toString()),
    ['b', 'c', 'd'],
  )
  assert.deepEqual(log.appendBatch([]), { first: 4, next: 4 })
  assert.equal(log.nextOffset, 4)
})

test('readRecord gives offset, timestamp and value', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const before = Date.now()
  log.append(Buffer.from('x'))
  const off = log.append(Buffer.from('rec'))
  const after = Date.now()
  const rec = log.readRecord(off)
  assert.equal(rec.offset, 1)
  // Core stamps records from the coarse clock, which may lag Date.now() by a tick (a few ms).
  const slack = 50
  assert.ok(
    rec.timestamp >= before - slack && rec.timestamp <= after,
    `${rec.timestamp} in [${before} - ${slack}, ${after}]`,
  )
  assert.equal(rec.value.toString(), 'rec')
})

test('data survives close and reopen; close is idempotent', (t) => {
  const dir = tmpLogDir(t)
  let log = Log.open(dir)
  log.appendBatch([Buffer.from('one'), Buffer.from('two')])
  assert.equal(log.closed, false)
  log.close()
  log.close()
  assert.equal(log.closed, true)
  log = Log.open(dir)
  t.after(() => log.close())
  assert.equal(log.nextOffset, 2)
  assert.equal(log.read(1).toString(), 'two')
  assert.equal(log.append(Buffer.from('three')), 2)
})

test('initialOffset starts a new log there and is ignored for an existing one', (t) => {
  const dir = tmpLogDir(t)
  let log = Log.open(dir, { initialOffset: 1000 })
  assert.equal(log.lowestOffset, 1000)
  assert.equal(log.append(Buffer.from('a')), 1000)
  log.close()
  log = Log.open(dir, { initialOffset: 5 })
  t.after(() => log.close())
  assert.equal(log.lowestOffset, 1000)
  assert.equal(log.nextOffset, 1001)
})

test('offsetAtTime finds the first record at or after a time', async (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.append(Buffer.from('old'))
  // Well apart: record timestamps come from the coarse clock (a tick of a few ms).
  await new Promise((r) => setTimeout(r, 60))
  const middle = Date.now()
  await new Promise((r) => setTimeout(r, 60))
  log.append(Buffer.from('new'))
  assert.equal(log.offsetAtTime(0), 0)
  assert.equal(log.offsetAtTime(middle), 1)
  assert.equal(log.offsetAtTime(Date.now() + 60_000), 2)
})

test('small segments: many segments, reads across them, truncateFront drops whole ones', (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir, { maxSegmentBytes: 4096, maxIndexBytes: 4096 })
  t.after(() => log.close())
  const value = Buffer.alloc(500, 7)
  for (let i = 0; i < 100; i++) log.append(value)
  const stores = fs.readdirSync(dir).filter((f) => f.endsWith('.store'))
  assert.ok(stores.length > 5, `expected several segments, got ${stores.length}`)
  for (let i = 0; i < 100; i += 9) assert.ok(log.read(i).equals(value))
  log.truncateFront(50)
  assert.ok(log.lowestOffset > 0 && log.lowestOffset <= 50, `lowest ${log.lowestOffset}`)
  assert.throws(() => log.read(0), code('ERR_SEGMENTLOG_OUT_OF_RANGE'))
  assert.ok(log.read(50).equals(value))
  assert.equal(log.nextOffset, 100)
})

test('truncateFront at or beyond nextOffset empties the log and re-bases it', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.appendBatch([Buffer.from('a'), Buffer.from('b')])
  log.truncateFront(500)
  assert.equal(log.lowestOffset, 500)
  assert.equal(log.nextOffset, 500)
  assert.equal(log.append(Buffer.from('c')), 500)
})

test('truncateBack removes the tail and the next append reuses that offset', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.appendBatch(['a', 'b', 'c', 'd'].map((s) => Buffer.from(s)))
  log.truncateBack(2)
  assert.equal(log.nextOffset, 2)
  assert.throws(() => log.read(2), code('ERR_SEGMENTLOG_OUT_OF_RANGE'))
  assert.equal(log.append(Buffer.from('C')), 2)
  assert.equal(log.read(2).toString(), 'C')
  assert.throws(() => log.truncateBack(10), code('ERR_SEGMENTLOG_OUT_OF_RANGE'))
})

test('sync options are accepted and sync() succeeds', (t) => {
  for (const sync of ['never', 'always', 25]) {
    const log = Log.open(tmpLogDir(t), { sync })
    log.append(Buffer.from('durable'))
    log.sync()
    assert.equal(log.read(0).toString(), 'durable')
    log.close()
  }
})

test('writePath: every path writes the same records, a bad one is refused', (t) => {
  for (const writePath of ['auto', 'map', 'write']) {
    for (const sync of ['never', 'always']) {
      const dir = tmpLogDir(t)
      let log = Log.open(dir, { writePath, sync })
      log.append(Buffer.from('one'))
      log.appendBatch([Buffer.from('two'), Buffer.from('three')])
      log.close()
      log = Log.open(dir, { writePath: writePath === 'map' ? 'write' : 'map' })
      assert.deepEqual([0, 1, 2].map((o) => log.read(o).toString()), ['one', 'two', 'three'])
      log.close()
    }
  }
  assert.throws(() => Log.open(tmpLogDir(t), { writePath: 'mmap' }), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  assert.throws(() => Log.open(tmpLogDir(t), { writePath: true }), typeError)
})

test('recovery option accepts truncateTail, truncate_tail and strict', (t) => {
  for (const recovery of ['truncateTail', 'truncate_tail', 'strict']) {
    const dir = tmpLogDir(t)
    Log.open(dir).close()
    const log = Log.open(dir, { recovery })
    log.close()
  }
})

test('strict recovery reports a damaged record as ERR_SEGMENTLOG_CORRUPT', (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir)
  log.append(Buffer.alloc(100, 1))
  log.append(Buffer.alloc(100, 2))
  log.close()
  const store = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.store')))
  const bytes = fs.readFileSync(store)
  // Flip a byte inside the first record's value (the 100 bytes of 0x01).
  const at = bytes.indexOf(Buffer.alloc(100, 1)) + 50
  assert.ok(at > 50)
  bytes[at] ^= 0xff
  fs.writeFileSync(store, bytes)
  fs.rmSync(path.join(dir, 'CLEAN'), { force: true })
  assert.throws(() => {
    const l = Log.open(dir, { recovery: 'strict' })
    try {
      l.read(0)
    } finally {
      l.close()
    }
  }, code('ERR_SEGMENTLOG_CORRUPT'))
})

test('retentionBytes drops the oldest sealed segments', (t) => {
  const log = Log.open(tmpLogDir(t), {
    maxSegmentBytes: 4096,
    maxIndexBytes: 4096,
    retentionBytes: 16384,
  })
  t.after(() => log.close())
  for (let i = 0; i < 200; i++) log.append(Buffer.alloc(500, i & 0xff))
  assert.ok(log.lowestOffset > 0, `lowest ${log.lowestOffset}`)
  assert.equal(log.nextOffset, 200)
  assert.equal(log.read(199)[0], 199)
})

test('retentionMs is accepted', (t) => {
  const log = Log.open(tmpLogDir(t), { retentionMs: 3_600_000 })
  log.append(Buffer.from('x'))
  assert.equal(log.read(0).toString(), 'x')
  log.close()
})

test('readOnly opens beside a writer, sees its records, and refuses writes', (t) => {
  const dir = tmpLogDir(t)
  const writer = Log.open(dir)
  t.after(() => writer.close())
  writer.append(Buffer.from('w0'))
  const reader = Log.open(dir, { readOnly: true })
  t.after(() => reader.close())
  assert.equal(reader.read(0).toString(), 'w0')
  assert.throws(() => reader.append(Buffer.from('no')), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  writer.append(Buffer.from('w1'))
  assert.equal(reader.nextOffset, 2)
  assert.equal(reader.read(1).toString(), 'w1')
})

test('a second writer on the same directory gets ERR_SEGMENTLOG_LOCKED', (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir)
  t.after(() => log.close())
  assert.throws(() => Log.open(dir), code('ERR_SEGMENTLOG_LOCKED'))
  // ... also from another process.
  const { spawnSync } = require('node:child_process')
  const child = spawnSync(
    process.execPath,
    [
      '-e',
      `try { require(${JSON.stringify(path.join(__dirname, '..'))}).Log.open(${JSON.stringify(dir)}); process.exit(0) }
       catch (e) { console.log(e.code); process.exit(3) }`,
    ],
    { encoding: 'utf8' },
  )
  assert.equal(child.status, 3, child.stderr)
  assert.equal(child.stdout.trim(), 'ERR_SEGMENTLOG_LOCKED')
})

test('every call on a closed log throws ERR_SEGMENTLOG_CLOSED', (t) => {
  const log = Log.open(tmpLogDir(t))
  log.append(Buffer.from('x'))
  log.close()
  const closed = code('ERR_SEGMENTLOG_CLOSED')
  assert.throws(() => log.append(Buffer.from('y')), closed)
  assert.throws(() => log.appendBatch([Buffer.from('y')]), closed)
  assert.throws(() => log.read(0), closed)
  assert.throws(() => log.readRecord(0), closed)
  assert.throws(() => log.readMany([0]), closed)
  assert.throws(() => log.lowestOffset, closed)
  assert.throws(() => log.nextOffset, closed)
  assert.throws(() => log.offsetAtTime(0), closed)
  assert.throws(() => log.truncateFront(0), closed)
  assert.throws(() => log.truncateBack(0), closed)
  assert.throws(() => log.sync(), closed)
  assert.throws(() => log.iter(), closed)
  log.close()
})

test('values that are not Buffer/Uint8Array are TypeErrors', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  for (const bad of ['string', 42, null, undefined, {}, [1, 2], new Float32Array(2), new ArrayBuffer(4), true]) {
    assert.throws(() => log.append(bad), typeError, `append(${String(bad)})`)
  }
  assert.throws(() => log.append(), typeError)
  assert.throws(() => log.appendBatch('abc'), typeError)
  assert.throws(() => log.appendBatch(null), typeError)
  assert.throws(
    () => log.appendBatch([Buffer.from('ok'), 'bad']),
    (err) => typeError(err) && /values\[1\]/.test(err.message),
  )
  // Nothing of the refused batch was appended.
  assert.equal(log.nextOffset, 0)
})

test('appendBatch: large, long, odd and changing batches keep every value', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  const expect = []
  const batch = (values) => {
    const r = log.appendBatch(values)
    assert.equal(r.first, expect.length)
    for (const v of values) expect.push(Buffer.from(v))
    assert.equal(r.next, expect.length)
  }
  // Over the kept packing buffer (1 MiB) and over its 4096 lengths.
  batch(Array.from({ length: 3 }, (_, i) => Buffer.alloc(700 * 1024, i + 1)))
  batch(Array.from({ length: 5000 }, (_, i) => Buffer.from(`v${i}`)))
  // Uint8Array subclasses, views into a larger buffer, empty and detached values.
  const ab = new ArrayBuffer(4)
  const detached = new Uint8Array(ab)
  structuredClone(ab, { transfer: [ab] })
  const big = Buffer.from('0123456789')
  batch([new Uint8Array([1, 2]), big.subarray(3, 6), Buffer.alloc(0), detached, new (class extends Uint8Array {})([9])])
  // A getter that swaps an element between the first look and the copy.
  let reads = 0
  const tricky = [Buffer.from('a'), Buffer.from('b')]
  Object.defineProperty(tricky, 1, { get: () => (++reads === 1 ? Buffer.from('b') : Buffer.from('a much longer value')) })
  const r = log.appendBatch(tricky)
  expect.push(Buffer.from('a'), Buffer.from(log.read(r.first + 1)))
  assert.equal(r.next, expect.length)
  assert.ok(['b', 'a much longer value'].includes(log.read(r.first + 1).toString()))
  // appendBatch called again from inside a batch (an element getter).
  const outer = [Buffer.from('outer')]
  Object.defineProperty(outer, 1, { get: () => (log.appendBatch([Buffer.from('inner')]), Buffer.from('outer2')) })
  const o = log.appendBatch(outer)
  assert.ok(o.next - o.first === 2)
  for (let i = 0; i < expect.length; i++) assert.ok(log.read(i).equals(expect[i]), `offset ${i}`)
  const tail = Array.from({ length: log.nextOffset - expect.length }, (_, i) => log.read(expect.length + i).toString())
  assert.deepEqual(tail.filter((v) => v !== 'inner'), ['outer', 'outer2'])
})

test('append, appendBatch and read called on something that is not a Log are TypeErrors', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.append(Buffer.from('x'))
  const { append, appendBatch, read } = log
  for (const self of [undefined, null, {}, 42, Object.create(Log.prototype)]) {
    assert.throws(() => append.call(self, Buffer.from('x')), typeError, `append on ${String(self)}`)
    assert.throws(() => appendBatch.call(self, [Buffer.from('x')]), typeError)
    assert.throws(() => read.call(self, 0), typeError)
  }
  // Still the log's own methods afterwards.
  assert.equal(append.call(log, Buffer.from('y')), 1)
  assert.deepEqual(appendBatch.call(log, [Buffer.from('z')]), { first: 2, next: 3 })
  assert.equal(read.call(log, 1).toString(), 'y')
  assert.equal(log.nextOffset, 3)
})

test('offsets must be safe non-negative integers', (t) => {
  const log = Log.open(tmpLogDir(t))
  t.after(() => log.close())
  log.append(Buffer.from('x'))
  for (const bad of ['0', null, undefined, {}, 1n]) {
    assert.throws(() => log.read(bad), typeError, `read(${String(bad)})`)
    assert.throws(() => log.truncateBack(bad), typeError)
  }
  for (const bad of [-1, 0.5, NaN, Infinity, 2 ** 53, Number.MAX_VALUE]) {
    assert.throws(() => log.read(bad), offsetError, `read(${bad})`)
    assert.throws(() => log.readRecord(bad), offsetError)
    assert.throws(() => log.truncateFront(bad), offsetError)
    // A time is no offset: Node's own code for a number out of range (a whole number
    // before 1970 is a time, older than every record).
    if (bad !== -1) assert.throws(() => log.offsetAtTime(bad), rangeError)
  }
  assert.equal(log.offsetAtTime(-1), 0)
  assert.equal(log.offsetAtTime(-(2 ** 60)), 0)
  assert.throws(() => log.read(1), offsetError)
  assert.throws(() => log.read(Number.MAX_SAFE_INTEGER), offsetError)
})

test('appends stop before nextOffset passes Number.MAX_SAFE_INTEGER, writing nothing', async (t) => {
  const dir = tmpLogDir(t)
  const max = Number.MAX_SAFE_INTEGER
  const invalid = code('ERR_SEGMENTLOG_INVALID_ARGUMENT')
  let log = Log.open(dir, { initialOffset: max - 2 })
  assert.equal(log.append(Buffer.from('a')), max - 2)
  assert.deepEqual(log.appendBatch([Buffer.from('b')]), { first: max - 1, next: max })
  // Three rounds of every append form: each refused before a byte is written.
  for (let i = 0; i < 3; i++) {
    assert.throws(() => log.append(Buffer.from('beyond')), invalid)
    assert.throws(() => log.appendBatch([Buffer.from('x'), Buffer.from('y')]), invalid)
    await assert.rejects(log.appendAsync(Buffer.from('beyond')), invalid)
    await assert.rejects(log.appendBatchAsync([Buffer.from('beyond')]), invalid)
    assert.equal(log.nextOffset, max)
  }
  assert.equal(log.read(max - 1).toString(), 'b')
  assert.throws(() => log.read(max), code('ERR_SEGMENTLOG_OUT_OF_RANGE'))
  const seen = []
  for await (const rec of log.iter({ from: max - 2 })) seen.push([rec.offset, rec.value.toString()])
  assert.deepEqual(seen, [[max - 2, 'a'], [max - 1, 'b']])
  // An empty batch asks for no offset: it succeeds and says where the next append would go.
  assert.deepEqual(log.appendBatch([]), { first: max, next: max })
  log.close()
  log = Log.open(dir)
  t.after(() => log.close())
  assert.equal(log.nextOffset, max)
  assert.equal(log.lowestOffset, max - 2)
  assert.throws(() => log.append(Buffer.from('still beyond')), invalid)
  // Re-based at the largest offset: an empty log that takes nothing more.
  log.truncateFront(max)
  assert.equal(log.nextOffset, max)
  assert.throws(() => log.append(Buffer.from('x')), invalid)
  assert.equal(log.nextOffset, max)
})

test('initialOffset Number.MAX_SAFE_INTEGER opens an empty log that takes nothing', (t) => {
  const log = Log.open(tmpLogDir(t), { initialOffset: Number.MAX_SAFE_INTEGER })
  t.after(() => log.close())
  assert.equal(log.nextOffset, Number.MAX_SAFE_INTEGER)
  assert.throws(() => log.append(Buffer.from('x')), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  assert.equal(log.nextOffset, Number.MAX_SAFE_INTEGER)
})

test('bad options: wrong types are TypeErrors, bad values ERR_SEGMENTLOG_INVALID_ARGUMENT', (t) => {
  const dir = tmpLogDir(t)
  assert.throws(() => Log.open(42), typeError)
  assert.throws(() => Log.open(dir, 'fast'), typeError)
  assert.throws(() => Log.open(dir, { maxSegmentBytes: '1MB' }), typeError)
  assert.throws(() => Log.open(dir, { readOnly: 'yes' }), typeError)
  assert.throws(() => Log.open(dir, { sync: true }), typeError)
  const invalid = code('ERR_SEGMENTLOG_INVALID_ARGUMENT')
  // An option's value is checked by core's table, as in Python: INVALID_ARGUMENT.
  assert.throws(() => Log.open(dir, { maxSegmentBytes: -5 }), invalid)
  assert.throws(() => Log.open(dir, { maxSegmentBytes: 8192.5 }), invalid)
  assert.throws(() => Log.open(dir, { maxSegmentBytes: 100 }), invalid)
  assert.throws(() => Log.open(dir, { sync: 'sometimes' }), invalid)
  assert.throws(() => Log.open(dir, { sync: 0 }), invalid)
  assert.throws(() => Log.open(dir, { recovery: 'lenient' }), invalid)
  assert.throws(() => Log.open(dir, { maxSegmentByte: 8192 }), (e) => invalid(e) && /maxSegmentByte/.test(e.message))
  // undefined and null mean "default".
  Log.open(dir, { maxSegmentBytes: undefined, retentionMs: null }).close()
  Log.open(dir, null).close()
})

test('an I/O failure is ERR_SEGMENTLOG_IO', (t) => {
  const dir = tmpLogDir(t)
  fs.mkdirSync(path.dirname(dir), { recursive: true })
  fs.writeFileSync(dir, 'not a directory')
  assert.throws(() => Log.open(path.join(dir, 'sub')), code('ERR_SEGMENTLOG_IO'))
})

test('Log cannot be constructed with new', () => {
  assert.throws(() => new Log())
})

test('compression: batches are stored smaller and any handle reads them back', (t) => {
  const events = Array.from({ length: 600 }, (_, i) =>
    Buffer.from(`{"id":${i},"kind":"click","user":"user-${i % 7}","path":"/items/${i % 11}"}`))
  const sizes = {}
  for (const compression of ['none', 'lz4', 'zstd']) {
    const dir = tmpLogDir(t)
    const log = Log.open(dir, { compression, compressionLevel: 5 })
    for (let k = 0; k < events.length; k += 50) log.appendBatch(events.slice(k, k + 50))
    log.close()
    sizes[compression] = fs.readdirSync(dir).filter((f) => f.endsWith('.store'))
      .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)
    // Opened without the option: the log's own headers say how to read it.
    const ro = Log.open(dir, { readOnly: true })
    for (let o = 0; o < events.length; o++) assert.deepEqual(ro.read(o), events[o])
    ro.close()
  }
  assert.ok(sizes.lz4 * 2 < sizes.none, JSON.stringify(sizes))
  assert.ok(sizes.zstd * 3 < sizes.none, JSON.stringify(sizes))
  assert.throws(() => Log.open(tmpLogDir(t), { compression: 'gzip' }), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  assert.throws(() => Log.open(tmpLogDir(t), { compressionLevel: 99 }), code('ERR_SEGMENTLOG_INVALID_ARGUMENT'))
  assert.throws(() => Log.open(tmpLogDir(t), { compression: 3 }), TypeError)
})
