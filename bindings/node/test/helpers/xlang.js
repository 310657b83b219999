'use strict'
// The cross-language fixture from Node: `write DIR N` appends `xlang-{i}` for i in 0..N to a
// new log; `check DIR N` exits 0 iff the log holds exactly those N values from offset 0.
// (core's `xlang` example does the same from Rust.)
const { Log } = require('../..')

function write(dir, n) {
  const log = Log.open(dir)
  try {
    for (let i = 0; i < n; i++) {
      const off = log.append(Buffer.from(`xlang-${i}`))
      if (off !== i) throw new Error(`append ${i} got offset ${off}`)
    }
  } finally {
    log.close()
  }
}

function check(dir, n) {
  const log = Log.open(dir, { readOnly: true })
  try {
    if (log.lowestOffset !== 0 || log.nextOffset !== n) {
      throw new Error(`log holds ${log.lowestOffset}..${log.nextOffset}, expected 0..${n}`)
    }
    for (let i = 0; i < n; i++) {
      const got = log.read(i).toString()
      if (got !== `xlang-${i}`) throw new Error(`offset ${i} holds ${JSON.stringify(got)}`)
    }
  } finally {
    log.close()
  }
}

module.exports = { write, check }

if (require.main === module) {
  const [cmd, dir, nStr] = process.argv.slice(2)
  const n = Number(nStr)
  if (!['write', 'check'].includes(cmd) || !dir || !Number.isSafeInteger(n)) {
    console.error('usage: node xlang.js write|check DIR N')
    process.exit(2)
  }
  try {
    ;(cmd === 'write' ? write : check)(dir, n)
  } catch (err) {
    console.error(`xlang ${cmd}: ${err.message}`)
    process.exit(1)
  }
}
