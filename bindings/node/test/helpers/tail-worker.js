'use strict'
// Worker side of worker.test.js: opens the log readOnly, tails it live from offset 0 and posts
// every record; stops after `count` records or when told to.
const { parentPort, workerData } = require('node:worker_threads')
const { Log } = require('../..')

async function main() {
  const log = Log.open(workerData.dir, { readOnly: true })
  const it = log.iter({ from: 0, live: true })
  parentPort.on('message', (m) => {
    if (m === 'stop') it.return()
  })
  parentPort.postMessage({ type: 'ready' })
  let n = 0
  for await (const rec of it) {
    parentPort.postMessage({ type: 'record', offset: rec.offset, value: rec.value.toString() })
    if (++n === workerData.count) break
  }
  log.close()
  parentPort.postMessage({ type: n === workerData.count ? 'done' : 'stopped', n })
  parentPort.close()
}

main().catch((err) => {
  parentPort.postMessage({ type: 'error', message: err.message, code: err.code })
  process.exitCode = 1
})
