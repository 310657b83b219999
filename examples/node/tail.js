'use strict'
// Follows a log that another process writes: opens it read-only and prints each new record
// as it lands, until it has seen COUNT records or TIMEOUT_MS pass. `make demo` runs it in the
// background while the Python example appends.
//
//   node examples/node/tail.js DIR [COUNT] [TIMEOUT_MS]
const path = require('node:path')
const { Log } = require(path.join(__dirname, '../../bindings/node'))

const dir = process.argv[2] || process.env.DEMO_DIR
const count = Number(process.argv[3] || 5)
const timeoutMs = Number(process.argv[4] || 20000)

async function main() {
  const log = Log.open(dir, { readOnly: true })
  const from = log.nextOffset
  console.log(`node tail: following ${dir} from offset ${from} (read-only; another process writes)`)
  const guard = setTimeout(() => log.close(), timeoutMs) // ends the live iterator if nothing comes
  let seen = 0
  try {
    for await (const rec of log.iter({ from, live: true })) {
      console.log(`node tail: saw #${rec.offset}: ${rec.value}`)
      if (++seen === count) break
    }
  } finally {
    clearTimeout(guard)
    log.close()
  }
  if (seen !== count) throw new Error(`saw ${seen} of ${count} records before the timeout`)
}

main().catch((err) => {
  console.error(`node tail failed: ${err.code ?? ''} ${err.message}`)
  process.exit(1)
})
