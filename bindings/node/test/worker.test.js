'use strict'
// A worker thread opens the log `readOnly` and tails it live while the main thread appends:
// the addon loads in several V8 isolates at once, and core's read-only mode follows the
// writer's files.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { Log } = require('..')
const { tmpLogDir } = require('./helpers/tmp.js')

const N = 50

test('a readOnly worker tails what the main thread appends', async (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir)
  t.after(() => log.close())
  log.append(Buffer.from('m0'))

  const worker = new Worker(path.join(__dirname, 'helpers', 'tail-worker.js'), {
    workerData: { dir, count: N },
  })
  const seen = []
  const done = new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (m.type === 'ready') ready()
      else if (m.type === 'record') seen.push(m)
      else if (m.type === 'done') resolve(m)
    })
    worker.on('error', reject)
    worker.on('exit', (c) => (c === 0 ? resolve({ type: 'exit' }) : reject(new Error(`worker exit ${c}`))))
  })
  let ready
  await new Promise((r) => (ready = r))

  for (let i = 1; i < N; i++) {
    log.append(Buffer.from(`m${i}`))
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20))
  }
  const timer = setTimeout(() => worker.postMessage('stop'), 15_000)
  const end = await done
  clearTimeout(timer)
  await new Promise((r) => (worker.threadId === -1 ? r() : worker.once('exit', r)))

  assert.equal(end.type, 'done', 'the worker saw every record before the deadline')
  assert.deepEqual(
    seen.map((m) => [m.offset, m.value]),
    Array.from({ length: N }, (_, i) => [i, `m${i}`]),
  )
})

test('a worker can use its own writer and a closed worker log does not disturb the main one', async (t) => {
  const dir = tmpLogDir(t)
  const worker = new Worker(
    `const { Log } = require(${JSON.stringify(path.join(__dirname, '..'))});
     const { parentPort, workerData } = require('node:worker_threads');
     const log = Log.open(workerData.dir);
     const { first, next } = log.appendBatch([Buffer.from('w0'), Buffer.from('w1')]);
     log.close();
     parentPort.postMessage({ first, next });`,
    { eval: true, workerData: { dir } },
  )
  const [msg] = await Promise.all([
    new Promise((r) => worker.once('message', r)),
    new Promise((r) => worker.once('exit', r)),
  ])
  assert.deepEqual(msg, { first: 0, next: 2 })
  const log = Log.open(dir)
  t.after(() => log.close())
  assert.equal(log.read(1).toString(), 'w1')
})

test('terminating workers with a pending live tail and in-flight tasks neither hangs nor crashes', { timeout: 60_000 }, async (t) => {
  const dir = tmpLogDir(t)
  const log = Log.open(dir)
  t.after(() => log.close())
  log.append(Buffer.from('x'))
  for (let i = 0; i < 5; i++) {
    const worker = new Worker(
      `const { Log } = require(${JSON.stringify(path.join(__dirname, '..'))});
       const { parentPort } = require('node:worker_threads');
       const log = Log.open(${JSON.stringify(dir)}, { readOnly: true });
       (async () => { for await (const r of log.iter({ live: true })) parentPort.postMessage(r.offset) })();
       log.readAsync(0);`,
      { eval: true },
    )
    await new Promise((r) => worker.once('message', r))
    await worker.terminate()
  }
  // The main thread's log is untouched.
  assert.equal(log.append(Buffer.from('after')), 1)
})
