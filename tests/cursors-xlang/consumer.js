'use strict'
// The Node consumer of the cross-language cursor test: reads the log from its cursor, "processes"
// each record by appending its offset to JOURNAL (one write each, so a SIGKILL leaves whole
// lines), and commits every K records; stops once it has committed N. On start it writes
// "start <committed> <resume>" to the journal, so the checker knows where each run resumed.
// Usage: node consumer.js ROOT DIR NAME JOURNAL N K
const fs = require('node:fs')
const [root, dir, name, journal, total, every] = process.argv.slice(2)
const { Log } = require(`${root}/bindings/node`)
const N = Number(total)
const K = Number(every)

async function main() {
  const log = Log.open(dir, { readOnly: true })
  const cursor = log.namedCursor(name, 'lowest')
  const fd = fs.openSync(journal, 'a')
  const p = cursor.position()
  fs.writeSync(fd, `start ${p.committed} ${p.resume}\n`)
  if (p.committed >= N) return
  let processed = 0
  for await (const rec of cursor) {
    if (rec.value.toString() !== `rec-${rec.offset}`) throw new Error(`wrong value at ${rec.offset}`)
    fs.writeSync(fd, `${rec.offset}\n`)
    processed++
    if (processed % K === 0 || rec.offset + 1 === N) cursor.commit(rec.offset + 1)
    if (rec.offset + 1 === N) break
  }
  log.close()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
