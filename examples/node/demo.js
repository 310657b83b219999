'use strict'
// segmentlog from Node: append, read, and a `for await` live tail of the shared demo log.
//
//   node examples/node/demo.js [DIR]        (DIR defaults to $DEMO_DIR, then ./demo-log)
//
// Outside this repository, `require('segmentlog')` after `npm install segmentlog-x.y.z.tgz`.
const path = require('node:path')
const { Log } = require(path.join(__dirname, '../../bindings/node'))

const dir = process.argv[2] || process.env.DEMO_DIR || 'demo-log'
const COUNT = 3 // records the tail waits for
const TIMEOUT_MS = 5000 // ... or gives up after this long

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function main() {
  const log = Log.open(dir)
  console.log(`node: opened ${dir}: offsets ${log.lowestOffset}..${log.nextOffset}`)
  // What this open found: damaged records become holes (ERR_SEGMENTLOG_HOLE when read).
  if (!log.recoveryReport.isClean) console.log(`node: recovery: ${log.recoveryReport.text}`)

  // What the other languages wrote before us: the last few records.
  const from = Math.max(log.lowestOffset, log.nextOffset - 5)
  for await (const rec of log.iter({ from, skipHoles: true })) {
    console.log(`node: existing #${rec.offset} @${new Date(rec.timestamp).toISOString()}: ${rec.value}`)
  }

  // A live tail from the current end: it waits (off the main thread) for new records.
  const start = log.nextOffset
  const tail = (async () => {
    let seen = 0
    for await (const rec of log.iter({ from: start, live: true })) {
      console.log(`node: tail saw #${rec.offset}: ${rec.value}`)
      if (++seen === COUNT) break
    }
    return seen
  })()
  const guard = setTimeout(() => log.close(), TIMEOUT_MS) // ends the tail if records never come

  for (let i = 1; i <= COUNT; i++) {
    await sleep(100)
    const value = Buffer.from(`event from Node #${i}`)
    const offset = i === COUNT ? await log.appendAsync(value) : log.append(value)
    console.log(`node: appended #${offset}`)
  }
  const seen = await tail
  clearTimeout(guard)

  const rec = log.readRecord(start)
  console.log(`node: read back #${rec.offset}: ${rec.value} (tail saw ${seen} of ${COUNT})`)
  log.close()
  if (seen !== COUNT) throw new Error(`the tail saw ${seen} of ${COUNT} records`)
}

main().catch((err) => {
  console.error(`node demo failed: ${err.code ?? ''} ${err.message}`)
  process.exit(1)
})
